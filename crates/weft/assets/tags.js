// The chip editor for tags. It enhances every `input[data-tags]`, a comma-separated text box
// that stays the form's field (hidden, its value kept up to date), so that the forms post the
// same thing with or without this script. Each tag becomes a chip with a remove button; a box
// beside the chips takes new ones (Enter or a comma adds one, Backspace in the empty box
// removes the last) and suggests the person's own tags from GET /api/v1/tags as they type,
// following the ARIA combobox pattern (a listbox, moved through with the arrow keys).

import { api } from "./app.js";

/** The longest tag and the most tags on one entry, as the server allows. */
const MAX_CHARS = 50;
const MAX_TAGS = 20;
/** Suggestions shown at once: enough to choose from, few enough to read. */
const MAX_SUGGESTIONS = 8;

let ownTags = null;

/** The person's tags, most used first; asked for once per page, and only when needed. */
function loadOwnTags() {
  if (!ownTags) {
    ownTags = api("GET", "/api/v1/tags").then((answer) =>
      answer.ok && answer.body && Array.isArray(answer.body.items)
        ? answer.body.items.map((item) => item.tag)
        : []);
  }
  return ownTags;
}

/** A tag as the server stores it: trimmed and lower-case. */
function normalise(raw) {
  return raw.trim().toLowerCase();
}

/** The tags of a comma-separated list, normalised, without blanks or repeats. */
function splitList(value) {
  const tags = [];
  for (const part of value.split(",")) {
    const tag = normalise(part);
    if (tag && !tags.includes(tag)) tags.push(tag);
  }
  return tags;
}

function element(tag, attributes = {}, text = "") {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text) node.textContent = text;
  return node;
}

class TagEditor {
  constructor(field) {
    this.field = field;
    const id = field.id || `tags-${Math.random().toString(36).slice(2, 8)}`;
    this.id = id;
    this.tags = splitList(field.value);
    this.options = [];
    this.active = -1;
    this.build();
    this.render();
  }

  build() {
    const field = this.field;
    const id = this.id;
    this.root = element("div", { class: "tag-editor" });
    this.chips = element("ul", { class: "tag-chips", "aria-label": "Tags added" });
    this.input = element("input", {
      id: `${id}-entry`,
      type: "text",
      class: "tag-entry",
      role: "combobox",
      "aria-autocomplete": "list",
      "aria-expanded": "false",
      "aria-controls": `${id}-options`,
      autocomplete: "off",
      autocapitalize: "none",
      spellcheck: "false",
    });
    const described = field.getAttribute("aria-describedby");
    if (described) this.input.setAttribute("aria-describedby", described);
    if (field.placeholder) this.input.placeholder = field.placeholder;
    this.list = element("ul", { id: `${id}-options`, class: "tag-options", role: "listbox", "aria-label": "Your tags" });
    this.list.hidden = true;
    this.status = element("span", { class: "visually-hidden", role: "status" });
    this.error = element("p", { class: "tag-error", id: `${id}-error` });
    this.error.hidden = true;

    // The label now names the box a person types in; the field itself is hidden.
    for (const label of document.querySelectorAll(`label[for="${CSS.escape(field.id)}"]`)) {
      label.htmlFor = this.input.id;
    }
    const help = described && document.getElementById(described.split(" ")[0]);
    if (help) help.textContent = "Press Enter or type a comma after each tag. Backspace in the empty box removes the last one.";
    field.type = "hidden";
    field.removeAttribute("data-tags");
    field.after(this.root);
    this.root.append(this.chips, this.input, this.list, this.status);
    this.root.after(this.error);

    this.root.addEventListener("click", (event) => {
      if (event.target === this.root || event.target === this.chips) this.input.focus();
    });
    this.chips.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-tag]");
      if (button) this.remove(button.dataset.tag, true);
    });
    this.input.addEventListener("keydown", (event) => this.onKey(event));
    this.input.addEventListener("input", () => this.onInput());
    this.input.addEventListener("focus", () => loadOwnTags());
    this.input.addEventListener("blur", () => this.close());
    // Choosing with the pointer must not take the focus from the box first.
    this.list.addEventListener("mousedown", (event) => event.preventDefault());
    this.list.addEventListener("click", (event) => {
      const option = event.target.closest("[role=option]");
      if (option) this.choose(option.dataset.tag);
    });
  }

  /** The form field: the chips, then whatever is typed and not yet a chip. */
  sync() {
    const pending = splitList(this.input.value).filter((tag) => !this.tags.includes(tag));
    this.field.value = this.tags.concat(pending).join(", ");
  }

  render() {
    this.chips.replaceChildren(...this.tags.map((tag) => {
      const chip = element("li", { class: "tag-chip" });
      const name = element("span", {}, tag);
      const remove = element("button", {
        type: "button",
        class: "tag-remove",
        "data-tag": tag,
        "aria-label": `Remove tag ${tag}`,
        title: `Remove tag ${tag}`,
      });
      remove.append(element("span", { "aria-hidden": "true" }, "×"));
      chip.append(name, remove);
      return chip;
    }));
    this.chips.hidden = this.tags.length === 0;
    this.sync();
  }

  say(message) {
    this.status.textContent = message;
  }

  refuse(message) {
    this.error.textContent = message;
    this.error.hidden = !message;
    if (message) this.input.setAttribute("aria-invalid", "true");
    else this.input.removeAttribute("aria-invalid");
  }

  /** Adds a tag; false (and a message) when it cannot be one. */
  add(raw) {
    const tag = normalise(raw);
    if (!tag) return true;
    if ([...tag].length > MAX_CHARS) {
      this.refuse(`A tag has at most ${MAX_CHARS} characters; shorten “${tag.slice(0, 20)}…”.`);
      return false;
    }
    if (/\p{Cc}/u.test(tag)) {
      this.refuse("A tag cannot contain a control character; type it again without one.");
      return false;
    }
    if (this.tags.includes(tag)) {
      this.say(`“${tag}” is already added.`);
      return true;
    }
    if (this.tags.length >= MAX_TAGS) {
      this.refuse(`An entry carries at most ${MAX_TAGS} tags; remove one before adding another.`);
      return false;
    }
    this.tags.push(tag);
    this.refuse("");
    this.say(`Added tag ${tag}.`);
    return true;
  }

  remove(tag, fromButton) {
    this.tags = this.tags.filter((t) => t !== tag);
    this.refuse("");
    this.render();
    this.say(`Removed tag ${tag}.`);
    // The button that had the focus is gone: keep it in the editor.
    if (fromButton) this.input.focus();
  }

  /** Turns what is typed into chips; what does not fit stays in the box to be fixed. */
  commitTyped() {
    const parts = this.input.value.split(",");
    const kept = [];
    for (const part of parts) {
      if (!this.add(part)) kept.push(part.trim());
    }
    this.input.value = kept.join(", ");
    this.render();
    this.close();
  }

  choose(tag) {
    this.add(tag);
    this.input.value = "";
    this.render();
    this.close();
    this.input.focus();
  }

  onInput() {
    // A comma (pasted, or typed where keys are not reported) ends a tag: everything before
    // the last one becomes chips, and what cannot be a tag stays in the box.
    const parts = this.input.value.split(",");
    if (parts.length > 1) {
      const rest = parts.pop().trimStart();
      const kept = parts.filter((part) => !this.add(part)).map((part) => part.trim());
      this.input.value = kept.concat(rest).join(", ");
      this.render();
    }
    this.sync();
    this.suggest(false);
  }

  onKey(event) {
    const open = !this.list.hidden;
    switch (event.key) {
      case "Enter":
        if (open && this.active >= 0) {
          event.preventDefault();
          this.choose(this.options[this.active]);
        } else if (this.input.value.trim()) {
          // Enter adds the tag here; it sends the form only from an empty box.
          event.preventDefault();
          this.commitTyped();
        }
        break;
      case ",":
        event.preventDefault();
        this.commitTyped();
        break;
      case "Backspace":
        if (this.input.value === "" && this.tags.length > 0) {
          event.preventDefault();
          this.remove(this.tags[this.tags.length - 1], false);
        }
        break;
      case "ArrowDown":
      case "ArrowUp":
        event.preventDefault();
        if (!open) {
          this.suggest(true).then(() => this.move(event.key === "ArrowDown" ? 0 : this.options.length - 1));
        } else {
          const step = event.key === "ArrowDown" ? 1 : -1;
          const count = this.options.length;
          this.move(this.active < 0 && step < 0 ? count - 1 : (this.active + step + count) % count);
        }
        break;
      case "Escape":
        if (open) {
          event.preventDefault();
          this.close();
        }
        break;
      case "Tab":
        this.close();
        break;
      default:
        break;
    }
  }

  /** Shows the person's tags that hold what is typed (those that start with it first). */
  async suggest(all) {
    const typed = normalise(this.input.value.split(",").pop() || "");
    if (!typed && !all) {
      this.close();
      return;
    }
    const known = await loadOwnTags();
    const fresh = known.filter((tag) => !this.tags.includes(tag) && tag.includes(typed));
    const starts = fresh.filter((tag) => tag.startsWith(typed));
    const inside = fresh.filter((tag) => !tag.startsWith(typed));
    this.options = starts.concat(inside).slice(0, MAX_SUGGESTIONS);
    // The box may have changed while the tags were loading.
    if (document.activeElement !== this.input || this.options.length === 0) {
      this.close();
      return;
    }
    this.list.replaceChildren(...this.options.map((tag, i) =>
      element("li", { id: `${this.id}-option-${i}`, role: "option", "aria-selected": "false", "data-tag": tag }, tag)));
    this.active = -1;
    this.input.removeAttribute("aria-activedescendant");
    this.list.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
  }

  move(index) {
    const items = this.list.querySelectorAll("[role=option]");
    if (this.list.hidden || items.length === 0) return;
    items.forEach((item, i) => {
      const on = i === index;
      item.setAttribute("aria-selected", on ? "true" : "false");
      item.classList.toggle("active", on);
    });
    this.active = index;
    const item = items[index];
    this.input.setAttribute("aria-activedescendant", item.id);
    item.scrollIntoView({ block: "nearest" });
  }

  close() {
    this.list.hidden = true;
    this.active = -1;
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
  }
}

for (const field of document.querySelectorAll("input[data-tags]")) {
  new TagEditor(field);
}

// The entry page: the transcript follows the video (the current segment highlighted, and
// in it the word being spoken), a click on a segment or a word seeks there, `?t=` starts there, the status refreshes by itself while
// the transcription runs, and the transcript can be corrected (PUT .../transcript).

import { api, errorMessage } from "./app.js";

const entry = document.getElementById("entry");
const player = document.getElementById("player");
const list = document.getElementById("segments");
const journal = entry.dataset.journal;
const segments = list ? Array.from(list.querySelectorAll("a.seg")) : [];
let current = null;
let currentWord = null;

function seek(seconds, play) {
  if (!Number.isFinite(seconds)) return;
  const go = () => {
    player.currentTime = seconds;
    if (play) player.play().catch(() => {});
  };
  if (player.readyState >= 1) go();
  else player.addEventListener("loadedmetadata", go, { once: true });
}

function highlight() {
  const t = player.currentTime;
  let found = null;
  for (const segment of segments) {
    const start = Number(segment.dataset.start);
    if (start <= t + 0.05) found = segment;
    else break;
  }
  if (found && t > Number(found.dataset.end) + 1.5) found = null;
  highlightWord(found, t);
  if (found === current) return;
  if (current) {
    current.classList.remove("current");
    current.removeAttribute("aria-current");
  }
  current = found;
  if (current) {
    current.classList.add("current");
    current.setAttribute("aria-current", "true");
    keepInView(current);
  }
}

// The word being spoken: the last word of the current segment that has started, until it
// ends (between words, none).
function highlightWord(segment, t) {
  let found = null;
  if (segment) {
    for (const word of segment.querySelectorAll(".w")) {
      if (Number(word.dataset.start) <= t + 0.02) found = word;
      else break;
    }
    if (found && t > Number(found.dataset.end) + 0.15) found = null;
  }
  if (found === currentWord) return;
  if (currentWord) currentWord.classList.remove("now");
  currentWord = found;
  if (currentWord) currentWord.classList.add("now");
}

function keepInView(element) {
  // Only the list scrolls, never the page, so reading along does not move the player.
  if (!list) return;
  const top = element.offsetTop - list.offsetTop;
  const bottom = top + element.offsetHeight;
  if (top < list.scrollTop || bottom > list.scrollTop + list.clientHeight) {
    list.scrollTop = Math.max(0, top - list.clientHeight / 3);
  }
}

function followPlayback() {
  if (!segments.length) return;
  player.addEventListener("timeupdate", highlight);
  player.addEventListener("seeked", highlight);
  player.addEventListener("loadedmetadata", highlight);
  if (player.readyState >= 1) highlight();
  list.addEventListener("click", (event) => {
    const link = event.target.closest("a.seg");
    if (!link || list.classList.contains("editing")) return;
    event.preventDefault();
    // A click on a word seeks to the word; elsewhere on the line, to the line.
    const word = event.target.closest(".w");
    const at = word ? word.dataset.start : link.dataset.start;
    seek(Number(at), true);
    history.replaceState(null, "", `?t=${at}`);
  });
  // Many timeupdate events come only four times a second: follow words more closely while
  // playing.
  const frame = () => {
    if (!player.paused) highlight();
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  // Up and down move between segments; Enter (the link) seeks.
  list.addEventListener("keydown", (event) => {
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    const index = segments.indexOf(document.activeElement);
    if (index < 0) return;
    event.preventDefault();
    const next = segments[Math.min(segments.length - 1, Math.max(0, index + (event.key === "ArrowDown" ? 1 : -1)))];
    next.focus();
  });
}

function startAt() {
  const t = Number(new URLSearchParams(location.search).get("t"));
  if (t > 0) seek(t, false);
}

function poll() {
  const waiting = ["queued", "running"];
  if (!waiting.includes(entry.dataset.status)) return;
  const badge = document.getElementById("status");
  const check = async () => {
    const answer = await api("GET", `/api/v1/journals/${journal}/transcript`);
    if (!answer.ok || !answer.body) return setTimeout(check, 5000);
    const status = answer.body.status;
    if (waiting.includes(status)) {
      const progress = answer.body.progress || {};
      const done = progress.fractionDone;
      const label = status !== "running" ? "Waiting to transcribe"
        : done != null ? `Transcribing… ${Math.round(done * 100)}%` : "Transcribing…";
      const text = document.getElementById("progress-text");
      if (text) text.textContent = progressText(status, progress);
      const span = badge.querySelector(".badge");
      if (span && (span.dataset.status !== status || span.textContent !== label)) {
        span.dataset.status = status;
        span.className = `badge status-${status}`;
        span.textContent = label;
      }
      return setTimeout(check, 2000);
    }
    // Finished: show the new transcript, keeping the place in the video.
    const at = player.currentTime > 0 ? `?t=${Math.floor(player.currentTime)}` : "";
    location.replace(`${location.pathname}${at}`);
  };
  setTimeout(check, 2000);
}

// As the server writes it (web/entry.rs progress_text).
function progressText(status, progress) {
  if (status === "queued") {
    const n = progress.queuePosition;
    if (n === 1) return "Next in line for a transcriber.";
    if (n === 2) return "Waiting for a transcriber: one recording ahead of this one.";
    if (n > 2) return `Waiting for a transcriber: ${n - 1} recordings ahead of this one.`;
    return "Waiting for a transcriber…";
  }
  const done = progress.fractionDone;
  if (done == null) return "Transcribing…";
  const left = progress.secondsLeft;
  const percent = `Transcribing… ${Math.round(done * 100)}% done`;
  return left == null ? `${percent}.` : `${percent}, about ${durationWords(left)} left.`;
}

// As the server writes it (web/layout.rs duration_words).
function durationWords(seconds) {
  const plural = (n, unit) => (n === 1 ? `1 ${unit}` : `${n} ${unit}s`);
  if (!(seconds >= 0)) seconds = 0;
  if (seconds < 60) return plural(Math.min(50, Math.max(10, Math.ceil(seconds / 10) * 10)), "second");
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return plural(minutes, "minute");
  const h = Math.floor(minutes / 60), m = minutes % 60;
  return m === 0 ? plural(h, "hour") : `${plural(h, "hour")} ${plural(m, "minute")}`;
}

function correction() {
  const button = document.getElementById("correct");
  if (!button || !segments.length) return;
  button.hidden = false;
  button.addEventListener("click", () => {
    list.classList.add("editing");
    button.hidden = true;
    const items = Array.from(list.children);
    items.forEach((item, n) => {
      const link = item.querySelector("a.seg");
      const editor = document.createElement("div");
      editor.className = "seg-edit";
      editor.dataset.start = link.dataset.start;
      editor.dataset.end = link.dataset.end;
      const ts = link.querySelector(".ts").cloneNode(true);
      const area = document.createElement("textarea");
      // The line's words, without the badge of a line in another language.
      const text = link.querySelector(".text").cloneNode(true);
      text.querySelectorAll(".lang").forEach((badge) => badge.remove());
      area.value = text.textContent.trim();
      area.rows = 2;
      area.id = `segment-${n}`;
      const label = document.createElement("label");
      label.className = "visually-hidden";
      label.htmlFor = area.id;
      label.textContent = `Text at ${ts.textContent}`;
      editor.append(ts, label, area);
      link.hidden = true;
      item.append(editor);
    });
    const actions = document.createElement("div");
    actions.className = "transcript-actions";
    const saveButton = Object.assign(document.createElement("button"), { type: "button", className: "primary small", textContent: "Save transcript" });
    const cancel = Object.assign(document.createElement("button"), { type: "button", className: "secondary small", textContent: "Cancel" });
    const message = Object.assign(document.createElement("p"), { className: "notice error", hidden: true });
    message.setAttribute("role", "alert");
    actions.append(saveButton, cancel);
    list.after(actions, message);
    list.querySelector("textarea").focus();
    cancel.addEventListener("click", () => location.reload());
    saveButton.addEventListener("click", async () => {
      const edited = Array.from(list.querySelectorAll(".seg-edit")).map((editor) => ({
        start: Number(editor.dataset.start),
        end: Number(editor.dataset.end),
        text: editor.querySelector("textarea").value.trim(),
      }));
      saveButton.disabled = true;
      const answer = await api("PUT", `/api/v1/journals/${journal}/transcript`, { segments: edited });
      if (answer.ok) {
        location.reload();
      } else {
        saveButton.disabled = false;
        message.textContent = errorMessage(answer.body, "The correction was not saved. Try again.");
        message.hidden = false;
      }
    });
  });
}

followPlayback();
startAt();
poll();
correction();

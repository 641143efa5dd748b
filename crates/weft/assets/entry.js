// The entry page: the transcript follows the video (the current segment highlighted, and
// in it the word being spoken), a click on a segment or a word seeks there, `?t=` plays from a
// second before that moment, the status refreshes by itself while the transcription runs, and
// the transcript can be corrected (PUT .../transcript), each box as tall as its text.

import { api, errorMessage } from "./app.js";

const entry = document.getElementById("entry");
const player = document.getElementById("player");
const list = document.getElementById("segments");
const playerWrap = document.getElementById("player-wrap");
const journal = entry.dataset.journal;
const segments = list ? Array.from(list.querySelectorAll("a.seg")) : [];
let current = null;
let currentWord = null;

function seek(seconds, play) {
  if (!Number.isFinite(seconds)) return;
  const go = () => {
    player.currentTime = seconds;
    if (play) start();
  };
  if (player.readyState >= 1) go();
  else player.addEventListener("loadedmetadata", go, { once: true });
}

// Plays the video. A browser that will not start a video with sound by itself (autoplay
// rules) plays it muted with an "Unmute" button; one that will not start it at all gets a
// "Play" button: never a video silently paused without a word.
async function start() {
  try {
    await player.play();
    return;
  } catch (error) {
    if (error.name !== "NotAllowedError") return;
  }
  player.muted = true;
  try {
    await player.play();
    showCue("Playing without sound: your browser starts videos muted.", "unmute");
  } catch {
    player.muted = false;
    showCue("Your browser did not start the video by itself.", "play-moment");
  }
}

function showCue(text, buttonId) {
  const cue = document.getElementById("player-cue");
  const button = document.getElementById(buttonId);
  if (!cue || !button) return;
  document.getElementById("player-cue-text").textContent = text;
  button.hidden = false;
  cue.hidden = false;
  const done = () => { cue.hidden = true; button.hidden = true; };
  button.addEventListener("click", () => {
    player.muted = false;
    player.play().catch(() => {});
    done();
  }, { once: true });
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
  // The list scrolls, so reading along does not move the player.
  if (!list) return;
  const top = element.offsetTop - list.offsetTop;
  const bottom = top + element.offsetHeight;
  if (top < list.scrollTop || bottom > list.scrollTop + list.clientHeight) {
    list.scrollTop = Math.max(0, top - list.clientHeight / 3);
  }
  belowThePlayer(element);
}

// On a phone the player is docked at the top of the window, above the transcript: while the
// transcript is on screen, the page scrolls so that the current line is below the player,
// not under it, and not below the window's edge.
function belowThePlayer(element) {
  const cover = playerWrap.getBoundingClientRect();
  const line = element.getBoundingClientRect();
  const box = list.getBoundingClientRect();
  const sameColumn = line.left < cover.right && line.right > cover.left;
  const listInView = box.bottom > cover.bottom && box.top < innerHeight;
  if (!sameColumn || !listInView || getComputedStyle(playerWrap).position !== "sticky") return;
  const gap = 8;
  if (line.top < cover.bottom + gap) window.scrollBy(0, line.top - cover.bottom - gap);
  else if (line.bottom > innerHeight - gap) window.scrollBy(0, line.bottom - innerHeight + gap);
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

// A moment (`?t=`, from a search result or a line's link) plays from a second before it, so
// that the words lead into it; its word is marked. After the page reloaded by itself
// (`paused`), it only keeps the place.
function startAt() {
  const params = new URLSearchParams(location.search);
  const t = Number(params.get("t"));
  if (!(t > 0)) return;
  markMoment(t);
  if (params.has("paused")) seek(t, false);
  else seek(Math.max(0, t - 1), true);
}

function markMoment(t) {
  for (const word of list ? list.querySelectorAll(".w") : []) {
    if (Math.abs(Number(word.dataset.start) - t) < 0.05) {
      word.classList.add("moment");
      return;
    }
  }
}

// The length as the player shows it (whole seconds, cut, not rounded), once it knows it.
function showDuration() {
  const field = document.getElementById("duration");
  const write = () => {
    if (field && Number.isFinite(player.duration)) field.textContent = clock(player.duration);
  };
  player.addEventListener("loadedmetadata", write);
  player.addEventListener("durationchange", write);
  if (player.readyState >= 1) write();
}

// As the server writes it (web/layout.rs clock).
function clock(seconds) {
  const total = Math.max(0, Math.floor(seconds));
  const h = Math.floor(total / 3600), m = Math.floor(total / 60) % 60, s = total % 60;
  const two = (n) => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${two(m)}:${two(s)}` : `${m}:${two(s)}`;
}

// A notice the page was sent with ("Saved."): written again once loaded, so that screen
// readers announce it as a change of the live region.
function announce() {
  const status = document.getElementById("transcript-status");
  if (!status || status.hidden) return;
  const text = status.textContent;
  status.textContent = "";
  setTimeout(() => { status.textContent = text; }, 100);
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
    const place = Math.floor(player.currentTime);
    const at = place > 0 ? `?t=${place}${player.paused ? "&paused=1" : ""}` : "";
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
      area.addEventListener("input", () => fit(area));
    });
    const areas = Array.from(list.querySelectorAll(".seg-edit textarea"));
    areas.forEach(fit);
    addEventListener("resize", () => areas.forEach(fit));
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
        // The page again, with "Saved" beside the transcript and the new version listed.
        location.replace(`${location.pathname}?saved=transcript#transcript-heading`);
      } else {
        saveButton.disabled = false;
        message.textContent = errorMessage(answer.body, "The correction was not saved. Try again.");
        message.hidden = false;
      }
    });
  });
}

// A text box as tall as its text, at any width: no inner scroll bar, nothing cut off.
function fit(area) {
  area.style.height = "auto";
  area.style.height = `${area.scrollHeight + area.offsetHeight - area.clientHeight}px`;
}

followPlayback();
startAt();
showDuration();
announce();
poll();
correction();

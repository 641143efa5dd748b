// The new-entry page: record with the camera and microphone, or with the camera off (sound
// only, audio/webm), with MediaRecorder, or choose (or drop) video or sound files; see one
// in the preview with its length, then send them with the resumable uploads (upload.js),
// two at a time, with progress and speed. A recording is kept in IndexedDB (pending.js) as
// soon as it stops, until the server has it whole; kept ones are offered on the next
// visit. The "Write a note" form posts without this script.

import * as pending from "./pending.js";
import { Queue, fileKey, rememberInLocalStorage, rememberedFiles, size, terminate } from "./upload.js";

const $ = (id) => document.getElementById(id);
const form = $("new-entry");
const preview = $("preview");
const stageEmpty = $("stage-empty");
const cameraOn = $("camera-on");
const micOn = $("mic-on");
const recordButton = $("record");
const stopButton = $("stop");
const retakeButton = $("retake");
const recordInstead = $("record-instead");
const timer = $("timer");
const timerText = $("timer-text");
const fileInput = $("video-file");
const chosen = $("chosen");
const videoError = $("video-error");
const formError = $("form-error");
const save = $("save");
const uploadStatus = $("upload-status");
const progress = $("progress");
const progressLabel = $("progress-label");
const uploadSpeed = $("upload-speed");
const queueBox = $("queue");
const titleField = $("title-field");
const pendingBox = $("pending");
const pendingList = $("pending-list");
const limit = Number(form.dataset.limit || 0);

const ACCEPTED = /\.(mp4|m4v|mov|webm|mkv|m4a|aac|mp3|ogg|oga|opus|wav|flac|weba|mka)$/i;

let stream = null;
let soundOnly = false; // recording with the camera off
let recorder = null;
let chunks = [];
let recording = null; // the recorded Blob
let recordedUrl = null;
let recordingId = null; // the take's IndexedDB record, while this page owns it
let file = null; // the chosen file
let fileUrl = null;
let started = 0;
let tick = null;

function show(element, visible) { element.hidden = !visible; }

function say(element, message) {
  element.textContent = message || "";
  show(element, Boolean(message));
}

function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

function chosenVideo() {
  if (file) return { blob: file, name: file.name };
  return recording ? { blob: recording, name: recordingName() } : null;
}

function recordingName() {
  const type = (recording && recording.type) || "";
  if (type.startsWith("audio/")) return type.includes("mp4") ? "recording.m4a" : "recording.webm";
  return type.includes("mp4") ? "recording.mp4" : "recording.webm";
}

function refresh() {
  const several = queue.ready().length > 0;
  const sending = opensWhenDone && (opensWhenDone.state === "queued" || opensWhenDone.state === "uploading");
  save.disabled = sending || !(chosenVideo() || several);
  save.textContent = several ? `Upload ${queue.ready().length === 1 ? "1 file" : `${queue.ready().length} files`}` : "Save entry";
  show(titleField, !several);
  show(queueBox, queue.items.length > 0);
}

const queue = new Queue($("queue-list"), {
  limit: 2,
  chunkBytes: Number(form.dataset.chunk || 0) || undefined,
  onChange: () => { showTotals(); refresh(); },
  onDone: finished,
});
let opensWhenDone = null; // the one item of a Save that opens its entry once saved

// The chosen or recorded video in the preview, with its name and length once the browser
// has read them (`fallback` seconds when the file does not say: browsers' WebM recordings).
function showVideo(url, name, fallback) {
  preview.srcObject = null;
  preview.src = url;
  preview.muted = false;
  preview.controls = true;
  show(stageEmpty, false);
  say(chosen, name);
  preview.addEventListener("loadedmetadata", () => {
    const seconds = Number.isFinite(preview.duration) ? preview.duration : fallback;
    if (seconds !== undefined) say(chosen, `${name} · ${clock(seconds)}`);
  }, { once: true });
}

function clearPreview() {
  preview.removeAttribute("src");
  preview.load();
  preview.controls = false;
  say(chosen, "");
  if (!stream) show(stageEmpty, true);
}

function discardFile() {
  if (fileUrl) URL.revokeObjectURL(fileUrl);
  fileUrl = null;
  file = null;
  fileInput.value = "";
}

async function startCamera(event) {
  // Either button turns the recorder on; the microphone one leaves the camera off.
  soundOnly = Boolean(event && event.currentTarget === micOn);
  say(videoError, "");
  if (file) { discardFile(); clearPreview(); refresh(); }
  if (!navigator.mediaDevices || !window.MediaRecorder) {
    say(videoError, "This browser cannot record video. Choose a file instead.");
    return;
  }
  try {
    stream = await navigator.mediaDevices.getUserMedia(soundOnly
      ? { audio: true }
      : { video: { width: { ideal: 1280 }, height: { ideal: 720 } }, audio: true });
  } catch (error) {
    const denied = error && (error.name === "NotAllowedError" || error.name === "SecurityError");
    say(videoError, denied
      ? `Weft was not allowed to use the ${soundOnly ? "microphone" : "camera and microphone"}. Allow it in the browser's site settings, or choose a file.`
      : `No ${soundOnly ? "microphone" : "camera or microphone"} was found. Connect one, or choose a file.`);
    return;
  }
  livePreview();
  recordButton.disabled = false;
  recordButton.focus();
}

function livePreview() {
  preview.srcObject = stream;
  preview.removeAttribute("src");
  preview.controls = false;
  preview.muted = true;
  preview.play().catch(() => {});
  show(stageEmpty, false);
}

function stopCamera() {
  if (recorder && recorder.state !== "inactive") recorder.stop();
  if (stream) for (const track of stream.getTracks()) track.stop();
  stream = null;
  preview.srcObject = null;
  if (!recording) show(stageEmpty, true);
  recordButton.disabled = true;
}

// MP4 first: browsers write WebM recordings without a duration (they stream them), and the
// server refuses a video whose length it cannot read. MP4 recordings carry it.
function pickType() {
  const candidates = soundOnly ? ["audio/webm;codecs=opus", "audio/webm", "audio/mp4"] : [
    "video/mp4;codecs=avc1,mp4a", "video/mp4;codecs=vp9,opus", "video/mp4",
    "video/webm;codecs=vp8,opus", "video/webm",
  ];
  return candidates.find((type) => MediaRecorder.isTypeSupported(type)) || "";
}

function startRecording() {
  if (!stream) return;
  discardRecording();
  chunks = [];
  const type = pickType();
  recorder = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
  recorder.addEventListener("dataavailable", (event) => { if (event.data.size > 0) chunks.push(event.data); });
  recorder.addEventListener("stop", finishRecording);
  recorder.start(1000);
  started = performance.now();
  timerText.textContent = "0:00";
  show(timer, true);
  tick = setInterval(() => { timerText.textContent = clock((performance.now() - started) / 1000); }, 250);
  show(recordButton, false);
  show(stopButton, true);
  show(retakeButton, false);
  stopButton.focus();
}

function stopRecording() {
  if (recorder && recorder.state !== "inactive") recorder.stop();
}

// The take goes into IndexedDB before anything is sent: a reload or a closed tab keeps it.
async function keepRecording(take, name) {
  try {
    const id = await pending.keep({ blob: take, name, title: $("title").value.trim(), source: "recording", queued: false });
    if (recording === take) { recordingId = id; form.dataset.kept = String(id); } else await pending.forget(id);
  } catch (error) {
    // No IndexedDB (a private window, say) or no room for it: the take lives in this page only.
    if (recording !== take) return;
    form.dataset.keptError = (error && error.name) || "Error";
    say(videoError, "This browser could not keep the recording for later. Save it before leaving this page.");
  }
}

function finishRecording() {
  clearInterval(tick);
  show(timer, false);
  const fallbackType = soundOnly ? "audio/webm" : "video/webm";
  recording = new Blob(chunks, { type: (recorder && recorder.mimeType) || fallbackType });
  recordedUrl = URL.createObjectURL(recording);
  const seconds = (performance.now() - started) / 1000;
  showVideo(recordedUrl, "Your recording", seconds);
  show(stopButton, false);
  show(retakeButton, true);
  show(recordButton, false);
  form.dataset.recorded = String(Math.round(seconds * 10) / 10);
  keepRecording(recording, recordingName());
  refresh();
  save.focus();
}

function discardRecording() {
  if (recordingId !== null) pending.forget(recordingId).catch(() => {});
  recordingId = null;
  delete form.dataset.kept;
  if (form.dataset.keptError) say(videoError, ""); // the take it spoke of is gone
  delete form.dataset.keptError;
  if (recordedUrl) URL.revokeObjectURL(recordedUrl);
  recordedUrl = null;
  recording = null;
  refresh();
}

function retake() {
  discardRecording();
  clearPreview();
  show(retakeButton, false);
  show(recordButton, true);
  if (stream) livePreview();
  recordButton.focus();
}

function problemWith(picked) {
  const looksLikeVideo = (picked.type && /^(video|audio)\//.test(picked.type)) || ACCEPTED.test(picked.name);
  return !looksLikeVideo ? `“${picked.name}” is not a video or a sound recording. Choose an MP4, MOV, WebM or MKV video, or an M4A, MP3, Opus, WAV or FLAC recording.`
    : picked.size === 0 ? `“${picked.name}” is empty. Choose another file.`
    : limit && picked.size > limit ? `“${picked.name}” is larger than this server accepts (${Math.round(limit / 1048576)} MB). Choose a shorter video.`
    : "";
}

// Files picked or dropped: one goes to the preview; several (or more to a list) each get a
// row of the queue with a title of their own.
function takeFiles(list) {
  say(videoError, "");
  const picked = [...(list || [])];
  const problems = picked.map(problemWith).filter(Boolean);
  const good = picked.filter((f) => !problemWith(f));
  say(videoError, problems.join(" "));
  if (good.length === 1 && !queue.ready().length) { checkFile(good[0]); return; }
  if (!good.length) { fileInput.value = ""; refresh(); return; }
  if (file) { good.unshift(file); backToRecording(); }
  for (const one of good) {
    forgetStopped(one);
    queue.add(one, { name: one.name, title: one.name.replace(/\.[^.]+$/, ""), remember: rememberInLocalStorage(one) });
  }
  fileInput.value = "";
  refresh();
}

// A file replaces the camera and any recording: the preview plays it.
function checkFile(picked) {
  if (recorder && recorder.state !== "inactive") {
    // A recording under way is dropped, not finished into the preview.
    recorder.removeEventListener("stop", finishRecording);
    clearInterval(tick);
    show(timer, false);
  }
  stopCamera();
  discardRecording();
  if (fileUrl) URL.revokeObjectURL(fileUrl);
  file = picked;
  fileUrl = URL.createObjectURL(file);
  showVideo(fileUrl, `“${file.name}”`);
  show(retakeButton, false);
  show(stopButton, false);
  show(recordButton, false);
  show(recordInstead, true);
  refresh();
}

// Back from a chosen file to the camera's step.
function backToRecording() {
  discardFile();
  clearPreview();
  show(recordInstead, false);
  show(recordButton, true);
  refresh();
  (soundOnly ? micOn : cameraOn).focus();
}

// The tags, location and notes every file of a Save gets.
function sharedDetails() {
  const details = {};
  for (const name of ["location", "notes", "tags"]) {
    const value = $(name).value.trim();
    if (value) details[name] = value;
  }
  return details;
}

// Where a kept recording's upload URL lives: its own IndexedDB record.
function rememberInRecord(id) {
  if (id === null) return { load: async () => null, save: async () => {}, clear: async () => {} };
  return {
    load: async () => ((await pending.get(id)) || {}).uploadUrl || null,
    save: (url) => pending.update(id, { uploadUrl: url }),
    clear: () => pending.update(id, { uploadUrl: null }),
  };
}

async function upload(event) {
  event.preventDefault();
  say(formError, "");
  if (queue.ready().length) {
    queue.startReady(sharedDetails());
    return;
  }
  const video = chosenVideo();
  const title = $("title").value.trim();
  if (!video) { say(formError, "Record a video or sound, or choose a file first."); return; }
  if (!title) { say(formError, "Give the entry a title."); $("title").focus(); return; }
  const details = sharedDetails();
  save.disabled = true;
  if (file) {
    opensWhenDone = queue.add(file, { name: file.name, title, remember: rememberInLocalStorage(file), editable: false, start: true, metadata: details });
    forgetStopped(file);
    refresh();
    return;
  }
  // The take now belongs to the queue: marked to be sent even after a reload.
  const id = recordingId;
  recordingId = null;
  if (id !== null) await pending.update(id, { title, ...details, queued: true }).catch(() => {});
  opensWhenDone = queue.add(video.blob, {
    name: video.name, title, remember: rememberInRecord(id), pendingId: id, editable: false, start: true, metadata: details,
    onCancel: async () => {
      if (id === null) return;
      await pending.update(id, { queued: false });
      if (recording === video.blob) { recordingId = id; form.dataset.kept = String(id); }
    },
  });
  refresh();
}

// One upload is saved: a kept recording is forgotten only now; a single Save opens its entry.
function finished(item) {
  if (item.pendingId !== null && item.pendingId !== undefined) pending.forget(item.pendingId).catch(() => {});
  if (item === opensWhenDone && item.journal) {
    progressLabel.textContent = "Saved. Opening the entry…";
    window.location.assign(`/entries/${item.journal}`);
  }
}

function showTotals() {
  if (opensWhenDone && opensWhenDone.state === "failed") {
    say(formError, opensWhenDone.status.textContent);
    opensWhenDone = null;
  }
  const { percent, speed, count } = queue.totals();
  const busy = queue.busy();
  show(uploadStatus, busy);
  if (!busy) return;
  progress.value = percent;
  progressLabel.textContent = count > 1 ? `Uploading ${count} files… ${percent}%` : `Uploading… ${percent}%`;
  uploadSpeed.textContent = speed > 0 ? `${size(speed)}/s` : "";
}

// Kept recordings and shared files from an earlier visit: those already saved are sent
// again at once (from the server's offset); the others are offered, to upload or discard.
// Picked files whose upload stopped are named, to be chosen again.
async function offerPending() {
  const records = await pending.all();
  for (const record of records) {
    if (String(record.id) === form.dataset.kept) continue;
    if (record.queued) resume(record); else offer(record);
  }
  for (const remembered of rememberedFiles()) {
    const row = pendingRow(`“${remembered.name}” stopped before the end. Choose it again to go on from where it stopped.`);
    row.dataset.key = remembered.key;
    const forget = button(row, `Forget “${remembered.name}”`, "secondary");
    forget.addEventListener("click", () => {
      localStorage.removeItem(remembered.key);
      if (remembered.url) terminate(remembered.url);
      drop(row);
    });
  }
}

// A stopped upload's row goes once its file is chosen again (the upload goes on).
function forgetStopped(picked) {
  for (const row of pendingList.querySelectorAll("li[data-key]")) {
    if (row.dataset.key === fileKey(picked)) drop(row);
  }
}

function pendingRow(text) {
  const row = document.createElement("li");
  const p = document.createElement("p");
  p.textContent = text;
  row.append(p);
  pendingList.append(row);
  show(pendingBox, true);
  return row;
}

function button(row, text, kind) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = kind;
  b.textContent = text;
  row.append(b);
  return b;
}

function drop(row) {
  row.remove();
  show(pendingBox, pendingList.children.length > 0);
}

function offer(record) {
  const when = new Date(record.created || Date.now()).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  const what = record.source === "shared" ? `Shared with Weft: “${record.name}”` : `Your recording of ${when}`;
  const row = pendingRow(`${what} (${size(record.blob.size)}) has not been uploaded yet.`);
  row.dataset.pending = String(record.id);
  button(row, "Upload it", "primary").addEventListener("click", () => { drop(row); resume(record); });
  button(row, "Discard it", "secondary").addEventListener("click", async () => {
    await pending.forget(record.id);
    drop(row);
  });
}

function resume(record) {
  const typed = sharedDetails();
  const details = {};
  for (const name of ["location", "notes", "tags"]) {
    const value = record[name] || typed[name];
    if (value) details[name] = value;
  }
  pending.update(record.id, { queued: true }).catch(() => {});
  queue.add(record.blob, {
    name: record.name,
    title: record.title || $("title").value.trim() || record.name.replace(/\.[^.]+$/, ""),
    remember: rememberInRecord(record.id),
    pendingId: record.id,
    editable: false,
    start: true,
    metadata: details,
    onCancel: () => pending.update(record.id, { queued: false }),
  });
  refresh();
}

// Drag and drop anywhere on the page.
function dropFiles() {
  const hasFiles = (event) => event.dataTransfer && [...event.dataTransfer.types].includes("Files");
  document.addEventListener("dragover", (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    document.body.classList.add("dropping");
  });
  document.addEventListener("dragleave", (event) => {
    if (event.relatedTarget === null) document.body.classList.remove("dropping");
  });
  document.addEventListener("drop", (event) => {
    if (!event.dataTransfer || !event.dataTransfer.files.length) return;
    event.preventDefault();
    document.body.classList.remove("dropping");
    takeFiles(event.dataTransfer.files);
  });
}

cameraOn.addEventListener("click", startCamera);
micOn.addEventListener("click", startCamera);
recordButton.addEventListener("click", startRecording);
stopButton.addEventListener("click", stopRecording);
retakeButton.addEventListener("click", retake);
recordInstead.addEventListener("click", backToRecording);
fileInput.addEventListener("change", () => takeFiles(fileInput.files));
form.addEventListener("submit", upload);
dropFiles();
refresh();
offerPending();

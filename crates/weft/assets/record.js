// The new-entry page: record with the camera and microphone, or with the camera off (sound
// only, audio/webm), with MediaRecorder, or choose a video or sound file; see either in the
// preview with its length, then upload the form to POST /api/v1/journals with a progress
// bar. The "Write a note" form posts without this script.

import { csrfToken, errorMessage } from "./app.js";

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
const limit = Number(form.dataset.limit || 0);

const ACCEPTED = /\.(mp4|m4v|mov|webm|mkv|m4a|aac|mp3|ogg|oga|opus|wav|flac|weba|mka)$/i;

let stream = null;
let soundOnly = false; // recording with the camera off
let recorder = null;
let chunks = [];
let recording = null; // the recorded Blob
let recordedUrl = null;
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
  save.disabled = !chosenVideo();
}

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
  refresh();
  save.focus();
}

function discardRecording() {
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

// A file replaces the camera and any recording: the preview plays it.
function checkFile() {
  say(videoError, "");
  const picked = fileInput.files && fileInput.files[0];
  if (!picked) { refresh(); return; }
  const looksLikeVideo = (picked.type && /^(video|audio)\//.test(picked.type)) || ACCEPTED.test(picked.name);
  const problem = !looksLikeVideo ? `“${picked.name}” is not a video or a sound recording. Choose an MP4, MOV, WebM or MKV video, or an M4A, MP3, Opus, WAV or FLAC recording.`
    : picked.size === 0 ? `“${picked.name}” is empty. Choose another file.`
    : limit && picked.size > limit ? `“${picked.name}” is larger than this server accepts (${Math.round(limit / 1048576)} MB). Choose a shorter video.`
    : "";
  if (problem) {
    say(videoError, problem);
    fileInput.value = "";
    refresh();
    return;
  }
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

function upload(event) {
  event.preventDefault();
  say(formError, "");
  const video = chosenVideo();
  const title = $("title").value.trim();
  if (!video) { say(formError, "Record a video or sound, or choose a file first."); return; }
  if (!title) { say(formError, "Give the entry a title."); $("title").focus(); return; }
  const data = new FormData();
  data.append("title", title);
  for (const name of ["location", "notes", "tags"]) {
    const value = $(name).value.trim();
    if (value) data.append(name, value);
  }
  data.append("video", video.blob, video.name);

  const request = new XMLHttpRequest();
  request.open("POST", "/api/v1/journals");
  request.setRequestHeader("X-CSRF-Token", csrfToken());
  request.setRequestHeader("Accept", "application/json");
  request.responseType = "json";
  request.upload.addEventListener("progress", (e) => {
    if (!e.lengthComputable) return;
    const percent = Math.round((e.loaded / e.total) * 100);
    progress.value = percent;
    progressLabel.textContent = percent < 100 ? `Uploading… ${percent}%` : "Checking the file…";
  });
  request.addEventListener("load", () => {
    const body = request.response;
    if (request.status === 201 && body && body.id) {
      progressLabel.textContent = "Saved. Opening the entry…";
      window.location.assign(`/entries/${body.id}`);
      return;
    }
    finishUpload();
    const fallback = request.status === 413 ? "That video is larger than this server accepts."
      : request.status === 415 ? "That file is not a video or sound recording Weft can read."
      : request.status === 401 ? "Your session has ended. Sign in again in another tab, then save."
      : "The upload did not work. Try again.";
    say(formError, errorMessage(body, fallback));
  });
  request.addEventListener("error", () => {
    finishUpload();
    say(formError, "The connection broke during the upload. Check it and try again.");
  });
  save.disabled = true;
  progress.value = 0;
  progressLabel.textContent = "Uploading… 0%";
  show(uploadStatus, true);
  request.send(data);
}

function finishUpload() {
  show(uploadStatus, false);
  refresh();
}

cameraOn.addEventListener("click", startCamera);
micOn.addEventListener("click", startCamera);
recordButton.addEventListener("click", startRecording);
stopButton.addEventListener("click", stopRecording);
retakeButton.addEventListener("click", retake);
recordInstead.addEventListener("click", backToRecording);
fileInput.addEventListener("change", checkFile);
form.addEventListener("submit", upload);
refresh();

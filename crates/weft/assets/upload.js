// Resumable uploads to /api/v1/uploads with the tus 1.0 protocol, and the page's queue of
// them. Our own small client (no bundle from a CDN): create with POST, send chunks of a few
// MiB with PATCH, and after a network error or a reload ask the server with HEAD how much
// it has and go on from there. The final PATCH answers with the new entry's id.

import { csrfToken, errorMessage } from "./app.js";

/** Waits between attempts after a network error or a busy server, then 30 s each time. */
const RETRY_DELAYS = [1000, 2000, 4000, 8000, 15000, 30000];

// Each chunk after the first is what the last one's speed sends in this long: every PATCH
// costs the server a sync and a commit (about 12 ms), a share that small chunks on a fast
// network make large (4 MiB at gigabit speed takes 35 ms). A slow network keeps the
// chunk given by the page, so that a broken connection loses little.
const CHUNK_SECONDS = 2;
const LARGEST_CHUNK = 1024 * 1024 * 1024;

// The cookie holds the current token even in a page the service worker kept from an
// earlier session; the <meta> is the fallback.
function token() {
  const match = document.cookie.match(/(?:^|;\s*)weft_csrf=([^;]*)/);
  return match ? decodeURIComponent(match[1]) : csrfToken();
}

function base64(text) {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** tus's Upload-Metadata: `key base64(value)` pairs, empty values left out. */
export function encodeMetadata(fields) {
  return Object.entries(fields)
    .filter(([, value]) => value !== undefined && value !== null && value !== "")
    .map(([key, value]) => `${key} ${base64(String(value))}`)
    .join(",");
}

/** "12.3 MB" */
export function size(bytes) {
  if (bytes < 1e6) return `${Math.max(1, Math.round(bytes / 1e3))} kB`;
  if (bytes < 1e9) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${(bytes / 1e9).toFixed(2)} GB`;
}

class Failure extends Error {
  constructor(message, retry) { super(message); this.retry = retry; }
}

// One request with XMLHttpRequest (fetch cannot report an upload's progress); resolves to
// {status, header(name), body}, or rejects with a Failure to retry when no answer came.
function send(method, url, headers, body, handle, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    xhr.setRequestHeader("Tus-Resumable", "1.0.0");
    xhr.setRequestHeader("X-CSRF-Token", token());
    xhr.setRequestHeader("Accept", "application/json");
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    if (onProgress) xhr.upload.addEventListener("progress", (event) => onProgress(event.loaded));
    xhr.addEventListener("load", () => {
      let parsed = null;
      try { parsed = JSON.parse(xhr.responseText); } catch { parsed = null; }
      resolve({ status: xhr.status, header: (name) => xhr.getResponseHeader(name), body: parsed });
    });
    const lost = () => reject(new Failure("The connection broke.", true));
    xhr.addEventListener("error", lost);
    xhr.addEventListener("timeout", lost);
    xhr.addEventListener("abort", () => reject(new Failure("Cancelled.", false)));
    handle.xhr = xhr;
    xhr.send(body === undefined ? null : body);
  });
}

function refusal(response, fallback) {
  const status = response.status;
  // 423: a request cut off by a reload may still hold the upload on the server for a moment.
  const retry = status >= 500 || status === 408 || status === 423 || status === 429;
  const text = status === 413 ? "That file is larger than this server accepts."
    : status === 415 ? "That file is not a video or sound recording Weft can read."
    : status === 401 ? "Your session has ended. Sign in again in another tab; the upload goes on from where it stopped."
    : fallback;
  return new Failure(errorMessage(response.body, text), retry || status === 401);
}

/**
 * Where an upload's URL is remembered between page loads: `load()`, `save(url)`,
 * `clear()`. Files use localStorage (by name, size and date); recordings their IndexedDB
 * record.
 */
export function rememberInLocalStorage(file) {
  const key = fileKey(file);
  return {
    load: async () => { try { return JSON.parse(localStorage.getItem(key) || "null")?.url || null; } catch { return null; } },
    save: async (url) => localStorage.setItem(key, JSON.stringify({ url, name: file.name, at: Date.now() })),
    clear: async () => localStorage.removeItem(key),
  };
}

/** The localStorage key of a picked file's unfinished upload. */
export function fileKey(file) {
  return `weft-upload:${file.name}:${file.size}:${file.lastModified}`;
}

/** Unfinished uploads of picked files this browser remembers: [{key, url, name}]. */
export function rememberedFiles() {
  const found = [];
  for (let i = 0; i < localStorage.length; i += 1) {
    const key = localStorage.key(i);
    if (!key || !key.startsWith("weft-upload:")) continue;
    try { found.push({ key, ...JSON.parse(localStorage.getItem(key)) }); } catch { /* not ours */ }
  }
  return found;
}

/** Ends an upload on the server (tus termination); what it had is freed. */
export function terminate(url) {
  return send("DELETE", url, {}, undefined, {}).catch(() => null);
}

/** One blob sent with tus; `run()` resolves to the new entry's id (or "" if unknown). */
export class Upload {
  constructor(blob, { metadata, remember, chunkBytes, onProgress, onWait }) {
    this.blob = blob;
    this.metadata = metadata;
    this.remember = remember;
    this.smallestChunk = chunkBytes || 4 * 1024 * 1024;
    this.chunkBytes = this.smallestChunk;
    this.onProgress = onProgress || (() => {});
    this.onWait = onWait || (() => {});
    this.handle = {};
    this.cancelled = false;
    this.url = null;
    this.acked = 0;
  }

  async run() {
    this.url = await this.remember.load();
    let offset = null;
    let attempt = 0;
    for (;;) {
      if (this.cancelled) throw new Failure("Cancelled.", false);
      try {
        if (!this.url) { await this.create(); offset = 0; }
        if (offset === null) {
          const state = await this.head();
          if (state === null) { await this.remember.clear(); this.url = null; continue; }
          if (state.done) return state.journal;
          offset = state.offset;
        }
        const answer = await this.patch(offset);
        if (answer.journal !== undefined) return answer.journal;
        offset = answer.offset;
        attempt = 0;
      } catch (error) {
        if (!(error instanceof Failure) || !error.retry || this.cancelled) {
          if (!this.cancelled) await this.remember.clear();
          throw error;
        }
        // Whatever the server kept is asked for again before the next chunk.
        offset = null;
        const delay = RETRY_DELAYS[Math.min(attempt, RETRY_DELAYS.length - 1)];
        attempt += 1;
        this.onWait(delay, error.message);
        await this.pause(delay);
      }
    }
  }

  async create() {
    const response = await send("POST", "/api/v1/uploads", {
      "Upload-Length": String(this.blob.size),
      "Upload-Metadata": encodeMetadata(this.metadata),
    }, undefined, this.handle);
    const location = response.header("Location");
    if (response.status !== 201 || !location) throw refusal(response, "The upload could not start. Try again.");
    this.url = new URL(location, window.location.href).href;
    await this.remember.save(this.url);
  }

  // The server's offset, {done, journal} once it has every byte, or null when it no
  // longer knows the upload (expired, or ended): then it starts again.
  async head() {
    const response = await send("HEAD", this.url, {}, undefined, this.handle);
    if (response.status === 404 || response.status === 410) return null;
    if (response.status < 200 || response.status >= 300) throw refusal(response, "The upload could not go on. Try again.");
    const offset = Number(response.header("Upload-Offset"));
    if (!Number.isFinite(offset)) throw new Failure("The server did not say how much it has.", true);
    this.report(offset, 0);
    if (offset >= this.blob.size) return { done: true, journal: response.header("Weft-Journal-Id") || "" };
    return { offset };
  }

  async patch(offset) {
    const end = Math.min(offset + this.chunkBytes, this.blob.size);
    const started = performance.now();
    const response = await send("PATCH", this.url, {
      "Content-Type": "application/offset+octet-stream",
      "Upload-Offset": String(offset),
    }, this.blob.slice(offset, end), this.handle, (sent) => this.report(offset, sent));
    if (response.status === 409) throw new Failure("The server had a different part of the file.", true);
    if (response.status === 404 || response.status === 410) {
      await this.remember.clear();
      this.url = null;
      throw new Failure("The server no longer had the upload; starting it again.", true);
    }
    if (response.status !== 204 && response.status !== 200 && response.status !== 201) {
      throw refusal(response, "The upload did not work. Try again.");
    }
    const acked = Number(response.header("Upload-Offset"));
    this.report(acked, 0);
    this.resize(end - offset, performance.now() - started);
    if (acked >= this.blob.size) {
      await this.remember.clear();
      return { journal: response.header("Weft-Journal-Id") || (response.body && response.body.id) || "" };
    }
    return { offset: acked };
  }

  // The next chunk: what `bytes` in `millis` would send in CHUNK_SECONDS, within bounds.
  resize(bytes, millis) {
    const perSecond = bytes / Math.max(millis / 1000, 0.001);
    const wanted = Math.round(perSecond * CHUNK_SECONDS);
    this.chunkBytes = Math.min(LARGEST_CHUNK, Math.max(this.smallestChunk, wanted));
  }

  report(acked, sending) {
    this.acked = acked;
    this.onProgress(acked, acked + sending);
  }

  // Waits `delay`, or less when the browser comes back online or the upload is cancelled.
  pause(delay) {
    return new Promise((resolve) => {
      const done = () => { clearTimeout(timer); window.removeEventListener("online", done); this.wake = null; resolve(); };
      const timer = setTimeout(done, delay);
      window.addEventListener("online", done);
      this.wake = done;
    });
  }

  /** Stops sending and ends the upload on the server. */
  async cancel() {
    this.cancelled = true;
    if (this.handle.xhr) this.handle.xhr.abort();
    if (this.wake) this.wake();
    await this.remember.clear();
    if (this.url) await terminate(this.url);
  }
}

let counter = 0;

/**
 * The page's uploads: each item a row with its title, progress and status, sent at most
 * `limit` at a time; `onChange()` after any change, `onDone(item)` when one is saved.
 */
export class Queue {
  constructor(list, { limit = 2, chunkBytes, onChange, onDone }) {
    this.list = list;
    this.limit = limit;
    this.chunkBytes = chunkBytes;
    this.onChange = onChange || (() => {});
    this.onDone = onDone || (() => {});
    this.items = [];
  }

  /** A row for `blob`: ready (waiting for Save) unless `start`; returns the item. */
  add(blob, { name, title, remember, pendingId, onCancel, editable = true, start = false, metadata = {} }) {
    counter += 1;
    const row = document.createElement("li");
    row.className = "upload-item";
    const id = `queue-title-${counter}`;
    row.innerHTML = `<div class="field"><label for="${id}"></label><input id="${id}" type="text" maxlength="200" required></div>
      <p class="item-name"></p><progress max="100" value="0"></progress>
      <p class="item-status" aria-live="polite"></p>
      <button type="button" class="secondary item-cancel"></button>`;
    const label = row.querySelector("label");
    label.textContent = `Title of ${name}`;
    const input = row.querySelector("input");
    input.value = title;
    input.readOnly = !editable;
    row.querySelector(".item-name").textContent = `${name} · ${size(blob.size)}`;
    row.querySelector("progress").setAttribute("aria-label", `Upload of ${name}`);
    const item = {
      blob, name, remember, pendingId, onCancel, metadata, row, input,
      state: "ready", sent: 0, upload: null, journal: null, samples: [],
      status: row.querySelector(".item-status"),
      bar: row.querySelector("progress"),
      button: row.querySelector(".item-cancel"),
    };
    item.button.addEventListener("click", () => this.cancel(item));
    this.items.push(item);
    this.list.append(row);
    this.set(item, start ? "queued" : "ready");
    if (start) this.pump();
    return item;
  }

  /** Starts every ready item with the shared `details` (tags, location, notes). */
  startReady(details) {
    for (const item of this.items.filter((i) => i.state === "ready")) {
      item.metadata = { ...details, ...item.metadata };
      this.set(item, "queued");
    }
    this.pump();
  }

  ready() { return this.items.filter((i) => i.state === "ready"); }

  busy() { return this.items.some((i) => i.state === "queued" || i.state === "uploading"); }

  set(item, state, text) {
    item.state = state;
    item.row.dataset.state = state;
    item.input.readOnly = state !== "ready" || item.input.readOnly;
    item.button.textContent = state === "ready" ? `Remove ${item.name}` : `Cancel ${item.name}`;
    item.button.hidden = state === "done" || state === "cancelled";
    item.status.textContent = text || {
      ready: "Ready to upload.", queued: "Waiting for its turn…", uploading: "Uploading…",
      done: "Saved.", cancelled: "Cancelled.",
    }[state] || "";
    this.onChange();
  }

  pump() {
    while (this.items.filter((i) => i.state === "uploading").length < this.limit) {
      const next = this.items.find((i) => i.state === "queued");
      if (!next) break;
      this.send(next);
    }
  }

  async send(item) {
    const title = item.input.value.trim() || item.name.replace(/\.[^.]+$/, "");
    item.input.value = title;
    this.set(item, "uploading");
    item.upload = new Upload(item.blob, {
      metadata: { filename: item.name, ...item.metadata, title },
      remember: item.remember,
      chunkBytes: this.chunkBytes,
      onProgress: (acked, sent) => this.progress(item, acked, sent),
      onWait: (delay, why) => {
        item.status.textContent = `${why} Trying again in ${Math.round(delay / 1000)} s…`;
        item.row.dataset.state = "waiting";
      },
    });
    try {
      item.journal = await item.upload.run();
      this.set(item, "done");
      const link = document.createElement("a");
      link.href = item.journal ? `/entries/${item.journal}` : "/";
      link.textContent = item.journal ? `Open “${title}”` : "Saved: see the timeline";
      item.status.replaceChildren(link);
      this.onDone(item);
    } catch (error) {
      if (item.state !== "cancelled") this.set(item, "failed", error.message || "The upload did not work.");
      item.button.hidden = false;
      item.button.textContent = `Remove ${item.name}`;
    }
    this.pump();
  }

  progress(item, acked, sent) {
    item.sent = sent;
    item.acked = acked;
    item.row.dataset.offset = String(acked);
    const now = performance.now();
    item.samples.push([now, sent]);
    while (item.samples.length > 2 && now - item.samples[0][0] > 5000) item.samples.shift();
    const [t0, b0] = item.samples[0];
    item.speed = now > t0 ? ((sent - b0) / (now - t0)) * 1000 : 0;
    const percent = Math.floor((sent / item.blob.size) * 100);
    item.bar.value = percent;
    if (item.state === "uploading" || item.row.dataset.state === "waiting") {
      item.row.dataset.state = "uploading";
      item.status.textContent = `Uploading… ${percent}%${item.speed > 0 ? ` · ${size(item.speed)}/s` : ""}`;
    }
    this.onChange();
  }

  async cancel(item) {
    if (item.state === "uploading" || item.state === "queued") {
      this.set(item, "cancelled");
      if (item.upload) await item.upload.cancel();
    }
    if (item.onCancel) await item.onCancel();
    item.row.remove();
    this.items = this.items.filter((i) => i !== item);
    this.onChange(item);
    this.pump();
  }

  /** {percent, speed} over the items started in this batch. */
  totals() {
    const started = this.items.filter((i) => i.state !== "ready" && i.state !== "cancelled");
    const total = started.reduce((sum, i) => sum + i.blob.size, 0);
    const sent = started.reduce((sum, i) => sum + (i.state === "done" ? i.blob.size : i.sent), 0);
    const speed = started.filter((i) => i.state === "uploading").reduce((sum, i) => sum + (i.speed || 0), 0);
    return { percent: total ? Math.floor((sent / total) * 100) : 0, speed, count: started.length };
  }
}

// Shared by every page: local times, hidden broken thumbnails, the API helper that the
// page scripts use (it sends the CSRF token from the page's <meta>), the app's service
// worker, and a banner when a recording waits in this browser to be uploaded.

/** The CSRF token of the signed-in page, for the X-CSRF-Token header. */
export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

/** Calls the JSON API; resolves to {ok, status, body}. Errors carry body.error.message. */
export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRF-Token"] = csrfToken();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    return { ok: false, status: 0, body: { error: { message: "Weft cannot be reached; check the connection and try again." } } };
  }
  let parsed = null;
  try { parsed = await response.json(); } catch { parsed = null; }
  return { ok: response.ok, status: response.status, body: parsed };
}

/** The message of an API error body, or a fallback. */
export function errorMessage(body, fallback) {
  const message = body && body.error && body.error.message;
  if (!message) return fallback;
  return message.charAt(0).toUpperCase() + message.slice(1) + (/[.!?]$/.test(message) ? "" : ".");
}

/**
 * Dates in the account's time zone where the page names it (the timeline's days follow it,
 * so its cards must too), else in the browser's; the zone is shown when the two differ.
 */
function localTimes() {
  const own = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const named = document.querySelector("[data-time-zone]");
  const zone = named ? named.dataset.timeZone : own;
  let format;
  try {
    format = new Intl.DateTimeFormat(undefined, zone === own
      ? { dateStyle: "medium", timeStyle: "short" }
      : { day: "numeric", month: "short", year: "numeric", hour: "numeric", minute: "2-digit", timeZone: zone, timeZoneName: "short" });
  } catch {
    format = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
  }
  for (const time of document.querySelectorAll("time[data-local]")) {
    const when = new Date(time.getAttribute("datetime"));
    if (!Number.isNaN(when.getTime())) time.textContent = format.format(when);
  }
}

function hideBrokenThumbnails() {
  document.addEventListener("error", (event) => {
    const target = event.target;
    if (target instanceof HTMLImageElement && target.closest(".thumb")) target.classList.add("broken");
  }, true);
  for (const img of document.querySelectorAll(".thumb img")) {
    if (img.complete && img.naturalWidth === 0) img.classList.add("broken");
  }
}

/** "/" outside a text field: to the search box (on the search page), else to the search page. */
function searchShortcut() {
  document.addEventListener("keydown", (event) => {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    const target = event.target;
    if (target instanceof Element && target.closest("input, textarea, select, [contenteditable]:not([contenteditable='false'])")) return;
    event.preventDefault();
    const box = document.getElementById("q");
    if (box && box.type === "search") box.focus();
    else window.location.assign("/search");
  });
}

// The installable app's worker (sw.js): the app shell offline and the share target.
function registerWorker() {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.register("/sw.js").catch(() => {});
}

// Elsewhere than the new-entry page (which lists them itself): a recording or a shared file
// kept in this browser and not yet uploaded is pointed out.
async function pendingBanner() {
  if (location.pathname === "/new" || !csrfToken() || !("indexedDB" in window)) return;
  const { all } = await import("./pending.js");
  const waiting = (await all()).length;
  const main = document.getElementById("main");
  if (!waiting || !main) return;
  const banner = document.createElement("p");
  banner.className = "notice pending-banner";
  banner.setAttribute("role", "status");
  banner.append(waiting === 1 ? "A recording has not been uploaded yet. " : `${waiting} recordings have not been uploaded yet. `);
  const link = document.createElement("a");
  link.href = "/new";
  link.textContent = "Upload or discard it";
  if (waiting > 1) link.textContent = "Upload or discard them";
  banner.append(link);
  main.prepend(banner);
}

localTimes();
hideBrokenThumbnails();
searchShortcut();
registerWorker();
pendingBanner().catch(() => {});

// The chip editor for tags, on the pages that have a tag field.
if (document.querySelector("input[data-tags]")) import("./tags.js");

// Weft's service worker. The server writes VERSION (a digest of every asset), SHELL (their
// URLs) and SHARE_PATH above this line (see src/web/pwa.rs).
//
// - The app shell (styles, scripts, icons, the offline page) is kept at install; the
//   new-entry page is kept each time it loads from the network, so the recorder opens
//   offline. Pages are asked for on the network first: offline, the kept copy answers, or
//   the offline page.
// - A share from the phone (POST SHARE_PATH, multipart, the file in `video`) is kept in
//   IndexedDB, the store the new-entry page reads (assets/pending.js), and the page opens.
// - Signing out empties the kept pages (they name the person).
// Uploads themselves are not touched here: the page's tus client waits for the network.

const CACHE = `weft-${VERSION}`;
const KEPT_PAGES = ["/new"];

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll([...SHELL, "/offline"]);
    // The new-entry page too, when this browser is signed in (else it is a redirect).
    try {
      const page = await fetch("/new", { credentials: "same-origin" });
      if (page.ok && !page.redirected) await cache.put("/new", page);
    } catch { /* offline at install: kept at the next visit */ }
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST" && url.pathname === SHARE_PATH) {
    event.respondWith(share(request));
  } else if (request.method === "POST" && url.pathname === "/signout") {
    event.respondWith(forgetPages().then(() => fetch(request)));
  } else if (request.method === "GET" && request.mode === "navigate") {
    event.respondWith(page(request, url));
  } else if (request.method === "GET" && url.pathname.startsWith("/assets/")) {
    event.respondWith(asset(request, url));
  }
});

async function page(request, url) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (KEPT_PAGES.includes(url.pathname) && !url.search && response.ok && !response.redirected) {
      await cache.put(url.pathname, response.clone());
    }
    return response;
  } catch (error) {
    const kept = await cache.match(url.pathname, { ignoreSearch: true });
    return kept || (await cache.match("/offline")) || Response.error();
  }
}

// A versioned asset never changes: the kept copy answers. An unversioned one (the scripts
// import each other by plain URLs) is asked for first.
async function asset(request, url) {
  const cache = await caches.open(CACHE);
  if (url.searchParams.has("v")) {
    const kept = await cache.match(request);
    if (kept) return kept;
  }
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch (error) {
    const kept = await cache.match(request);
    if (kept) return kept;
    throw error;
  }
}

async function forgetPages() {
  const cache = await caches.open(CACHE);
  for (const path of KEPT_PAGES) await cache.delete(path);
}

async function share(request) {
  let kept = 0;
  try {
    const form = await request.formData();
    const title = String(form.get("title") || "").trim();
    for (const file of form.getAll("video")) {
      if (!(file instanceof File) || file.size === 0) continue;
      await keep({
        blob: file,
        name: file.name || "shared",
        title: title || file.name.replace(/\.[^.]+$/, ""),
        source: "shared",
        created: Date.now(),
      });
      kept += 1;
    }
  } catch {
    kept = 0;
  }
  return Response.redirect(kept > 0 ? `/new?shared=${kept}` : "/new?shared=failed", 303);
}

// The same database and store as assets/pending.js.
function keep(record) {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open("weft-pending", 1);
    open.onupgradeneeded = () => open.result.createObjectStore("uploads", { keyPath: "id", autoIncrement: true });
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const tx = db.transaction("uploads", "readwrite");
      tx.objectStore("uploads").put(record);
      tx.oncomplete = () => { db.close(); resolve(); };
      tx.onerror = () => { db.close(); reject(tx.error); };
    };
  });
}

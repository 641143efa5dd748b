// Recordings and shared files kept in this browser (IndexedDB) until the server has them
// whole: a take is stored as soon as recording stops, and deleted only once its last chunk
// was accepted. The service worker writes shared files into the same store (sw.js keeps
// the names below in step).

const DB = "weft-pending";
const STORE = "uploads";

function open() {
  return new Promise((resolve, reject) => {
    if (!("indexedDB" in self)) { reject(new Error("no IndexedDB")); return; }
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "id", autoIncrement: true });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function run(mode, work) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = work(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request && request.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

/**
 * Keeps `record` ({blob, name, title, tags, location, notes, source, uploadUrl, queued});
 * resolves to its id. A record with an id is replaced.
 */
export function keep(record) {
  return run("readwrite", (store) => store.put({ created: Date.now(), ...record }));
}

/** Changes some fields of the record `id`, if it is still kept. */
export async function update(id, fields) {
  const record = await get(id);
  if (record) await keep({ ...record, ...fields });
}

/** The record `id`, or undefined. */
export function get(id) {
  return run("readonly", (store) => store.get(id));
}

/** Every kept record, oldest first. */
export async function all() {
  try {
    return (await run("readonly", (store) => store.getAll())) || [];
  } catch {
    return [];
  }
}

/** Forgets the record `id` (the server has it, or the person discarded it). */
export function forget(id) {
  return run("readwrite", (store) => store.delete(id));
}

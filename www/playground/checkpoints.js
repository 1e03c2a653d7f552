// The playground's training checkpoints, kept in the page's IndexedDB. Programs run in a
// sandboxed iframe with an opaque origin, which has no storage of its own: the sandbox's
// tf.callbacks.backupAndRestore (which the playground adds to every fit) asks the page, by
// postMessage, to load, save and remove them here. A checkpoint's key is
// `<run key>#fit<n>`: the run key names the program (starter and a hash of its code), n counts
// the fit calls of one run.

const DB = 'hebb_playground';
const STORE = 'checkpoints';

function open() {
  return new Promise((resolve, reject) => {
    if (typeof indexedDB === 'undefined') {
      reject(new Error('IndexedDB is not available in this browser (private mode?)'));
      return;
    }
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'key' });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function tx(mode, fn) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const t = db.transaction(STORE, mode);
      const store = t.objectStore(STORE);
      let result;
      const req = fn(store);
      if (req) req.onsuccess = () => { result = req.result; };
      t.oncomplete = () => resolve(result);
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error ?? new Error('IndexedDB transaction aborted'));
    });
  } finally {
    db.close();
  }
}

/** The saved artifacts under `key`, or null. */
export async function load(key) {
  const rec = await tx('readonly', (s) => s.get(key));
  return rec ? rec.artifacts : null;
}

/** Saves a checkpoint (the artifacts BackupAndRestore made) under `key`. */
export function save(key, artifacts) {
  return tx('readwrite', (s) => s.put({ key, artifacts, savedAt: Date.now() }));
}

/** Removes one checkpoint. */
export function remove(key) {
  return tx('readwrite', (s) => s.delete(key));
}

/** Every checkpoint of a run key: [{key, epoch, savedAt}], oldest first. */
export async function pending(runKey) {
  const all = await tx('readonly', (s) => s.getAll(IDBKeyRange.bound(`${runKey}#`, `${runKey}#\uffff`)));
  return (all ?? []).map((r) => ({ key: r.key, epoch: r.artifacts?.hebbBackup?.epoch ?? 0, savedAt: r.savedAt }))
    .sort((a, b) => a.savedAt - b.savedAt);
}

/** Removes every checkpoint of a run key (a fresh run starts from scratch). */
export function clear(runKey) {
  return tx('readwrite', (s) => s.delete(IDBKeyRange.bound(`${runKey}#`, `${runKey}#\uffff`)));
}

/** A short, stable key for a program: its starter and a hash of its code. */
export function runKey(starter, code) {
  let h = 0x811c9dc5; // FNV-1a, 32 bits
  for (let i = 0; i < code.length; i++) {
    h ^= code.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `${starter}:${h.toString(16).padStart(8, '0')}`;
}

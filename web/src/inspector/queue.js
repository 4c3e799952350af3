// The offline queue of the field view: findings saved while the connection is down wait in IndexedDB (with their
// photo as a Blob) and are sent, oldest first, when it returns. A finding the server refuses stays in the queue marked
// failed with the server's reason, so nothing typed in the field is lost silently.
import { openDB } from 'idb';

const DB = 'civmap-inspector';
const STORE = 'outbox';

function db() {
  return openDB(DB, 1, {
    upgrade(d) {
      d.createObjectStore(STORE, { keyPath: 'id', autoIncrement: true });
    },
  });
}

/** Queues {round, finding, photo?: Blob}; resolves to its key. */
export async function enqueue(item) {
  return (await db()).add(STORE, { ...item, queuedAt: new Date().toISOString(), failed: '' });
}

/** All queued items, oldest first. */
export async function all() {
  return (await db()).getAll(STORE);
}

export async function remove(id) {
  return (await db()).delete(STORE, id);
}

export async function markFailed(id, message) {
  const d = await db();
  const item = await d.get(STORE, id);
  if (item) await d.put(STORE, { ...item, failed: message });
}

// The Deno KV adapter of the storage port (lib/common/store.ts): opens a sqlite file locally, the
// platform's KV on Deno Deploy, memory in tests; and the commit helpers every store module uses.

import type { Store, StoreAtomic, StoreKey, StoreListOptions } from "./store.ts";
import type { Config } from "./config.ts";

/** Opens the KV store named by the configuration, creating DATA_DIR when it is a local file. */
export async function openKv(config: Config): Promise<Store> {
  if (!config.kvPath) return await Deno.openKv();
  if (config.kvPath !== ":memory:") {
    const dir = config.kvPath.replace(/\/[^/]*$/, "");
    if (dir && dir !== config.kvPath) await Deno.mkdir(dir, { recursive: true });
  }
  return await Deno.openKv(config.kvPath);
}

/** Thrown when an atomic commit lost a race or a uniqueness check. */
export class KvConflict extends Error {
  constructor(what: string) {
    super(`KV write conflict: ${what}`);
    this.name = "KvConflict";
  }
}

/**
 * Whether a KV error is SQLite refusing a write while another process holds the file (several web
 * processes sharing one KV file): it answers "database is locked" at once instead of waiting.
 */
export function isKvBusy(err: unknown): boolean {
  return err instanceof Error && /database is (locked|busy)/i.test(err.message);
}

/** Commits; a busy database counts as a lost race (`ok: false`), for the caller's retry loop. */
export async function commitAtomic(op: StoreAtomic): Promise<Deno.KvCommitResult | Deno.KvCommitError> {
  try {
    return await op.commit();
  } catch (err) {
    if (isKvBusy(err)) return { ok: false };
    throw err;
  }
}

/** Commits an atomic operation and throws KvConflict when its checks failed (or the file was busy). */
export async function commitOrThrow(op: StoreAtomic, what: string): Promise<Deno.KvCommitResult> {
  const res = await commitAtomic(op);
  if (!res.ok) throw new KvConflict(what);
  return res;
}

/** How often a read-modify-write re-reads after losing its commit before it gives up. */
const UPDATE_ATTEMPTS = 10;

/**
 * One record's read-modify-write with a versionstamp check, retried on a lost commit (after a short
 * random pause, so writers of one hot record take turns), then KvConflict named `what`. `change`
 * sees the stored value and the commit (to add index writes and checks of its own) and returns the
 * new value, or null to leave the record as it is (nothing is committed); `afterLost` may explain a
 * lost commit by throwing (e.g. a uniqueness clash); `expireIn` goes with the write. Returns the
 * value as it now is, or null when the record is gone.
 */
export async function updateRecord<T>(
  kv: Store,
  key: StoreKey,
  what: string,
  change: (current: T, op: StoreAtomic) => T | null,
  options: { afterLost?: (current: T, next: T) => Promise<void>; expireIn?: number } = {},
): Promise<T | null> {
  for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.random() * 2 ** attempt));
    const entry = await kv.get<T>(key);
    if (entry.value === null) return null;
    const op = kv.atomic().check(entry);
    const next = change(entry.value, op);
    if (next === null) return entry.value;
    op.set(key, next, options.expireIn === undefined ? undefined : { expireIn: options.expireIn });
    if ((await commitAtomic(op)).ok) return next;
    await options.afterLost?.(entry.value, next);
  }
  throw new KvConflict(what);
}

/** Lists every value under a prefix (small collections only). */
export async function listValues<T>(kv: Store, prefix: StoreKey, options: StoreListOptions = {}): Promise<T[]> {
  const out: T[] = [];
  for await (const entry of kv.list<T>({ prefix }, options)) out.push(entry.value);
  return out;
}

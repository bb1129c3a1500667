// Opens Deno KV: a sqlite file locally, the platform's KV on Deno Deploy, memory in tests.

import type { Config } from "../config.ts";

/** Opens the KV store named by the configuration, creating DATA_DIR when it is a local file. */
export async function openKv(config: Config): Promise<Deno.Kv> {
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
export async function commitAtomic(op: Deno.AtomicOperation): Promise<Deno.KvCommitResult | Deno.KvCommitError> {
  try {
    return await op.commit();
  } catch (err) {
    if (isKvBusy(err)) return { ok: false };
    throw err;
  }
}

/** Commits an atomic operation and throws KvConflict when its checks failed (or the file was busy). */
export async function commitOrThrow(op: Deno.AtomicOperation, what: string): Promise<Deno.KvCommitResult> {
  const res = await commitAtomic(op);
  if (!res.ok) throw new KvConflict(what);
  return res;
}

/** Lists every value under a prefix (small collections only). */
export async function listValues<T>(kv: Deno.Kv, prefix: Deno.KvKey, options: Deno.KvListOptions = {}): Promise<T[]> {
  const out: T[] = [];
  for await (const entry of kv.list<T>({ prefix }, options)) out.push(entry.value);
  return out;
}

// The storage port: the small interface every capability's store module is written against. Deno KV
// (a sqlite file, KV Connect or Deno Deploy) satisfies it as it is and is the only adapter today
// (lib/common/kv.ts opens it); a PostgreSQL adapter can later implement the same interface and pass
// the same conformance tests (lib/common/store_conformance.ts), without touching routes or domain code.
//
// What an adapter must guarantee (each point is a test in store_conformance.ts):
// - Reads: `get`/`getMany` return the value and a versionstamp for a present key, both null for an
//   absent one; `getMany` answers in the order asked. Versionstamps are strings that grow with
//   every commit (compared as strings) and change whenever the key is written.
// - Expiry: a value set with `expireIn` stays readable until that time and disappears (reads and
//   lists) some time after it, within STORE_LIMITS.expirySweepMs. Deno KV really does keep returning
//   an expired value until its sweep runs (about once a minute), so a store module for which "expired"
//   matters stores its own expiry time and checks it on read (sessions, one-time tokens, rate limits).
// - Lists: entries in key order (or reversed), bounded by prefix and/or start (inclusive) and end
//   (exclusive), at most `limit`; the iterator's `cursor` after a page resumes exactly after the last
//   entry yielded, in the same direction. A cursor is opaque and belongs to its selector: a malformed
//   one is rejected, and one from another selector never yields keys outside the selector it is used on.
// - Key order, part by part, by type first: Uint8Array < string < bigint < number < boolean, then by
//   value within a type (bytes and strings bytewise, numbers and bigints numerically, false < true);
//   a shorter key sorts before any key it is a prefix of.
// - Atomic commits are all-or-nothing: every check (versionstamp null = "absent") must hold at
//   commit time, else `{ ok: false }` and nothing is written (nor enqueued). Mutations apply in
//   order; `sum` adds to a Deno.KvU64 modulo 2^64 (absent counts as 0; a non-counter value throws).
// - Queues: a value enqueued (alone or in a commit) is delivered to `listenQueue` at least once, not
//   before its `delay`; a handler that throws gets it again later. `close()` ends `listenQueue`.
// - Watch: emits the current entries at once, then again after any change to one of the keys
//   (possibly coalesced, never skipping the latest state).
// - Limits: the adapter accepts everything within STORE_LIMITS and refuses (throws) beyond them, so
//   code written against Deno KV's limits neither breaks nor silently truncates on another backend.

/** Deno KV's per-value, per-key and per-commit limits, which store modules size their writes by. */
export const STORE_LIMITS = {
  /** Bytes of one serialized value (V8 serialization; a string may take two bytes per character). */
  valueBytes: 65_536,
  /** Bytes of one encoded key, for writes. */
  keyBytes: 2_048,
  /** Keys in one getMany. */
  getManyKeys: 10,
  /** Checks in one atomic commit (10 on older KV Connect servers: keep shared commits smaller). */
  checksPerCommit: 100,
  /** Mutations (set, delete, sum, enqueue) in one atomic commit. */
  mutationsPerCommit: 1_000,
  /** Total bytes of the keys and values one commit writes. */
  commitBytes: 819_200,
  /** Total bytes of the keys one commit writes. */
  commitKeyBytes: 81_920,
  /** How long past its expiry an expired value may still be read (Deno KV sweeps about once a minute). */
  expirySweepMs: 61_000,
} as const;

/** A key: an ordered tuple of parts, compared part by part (KV's ordering). */
export type StoreKey = Deno.KvKey;

/** What a read returns: the value and its versionstamp, both null when the key is absent. */
export interface StoreEntry<T> {
  readonly key: StoreKey;
  readonly value: T | null;
  readonly versionstamp: string | null;
}

/** A present entry, as a list yields it. */
export interface StoreListEntry<T> {
  readonly key: StoreKey;
  readonly value: T;
  readonly versionstamp: string;
}

export type StoreSelector =
  | { readonly prefix: StoreKey }
  | { readonly prefix: StoreKey; readonly start: StoreKey }
  | { readonly prefix: StoreKey; readonly end: StoreKey }
  | { readonly start: StoreKey; readonly end: StoreKey };

export interface StoreListOptions {
  /** At most this many entries. */
  limit?: number;
  /** Where the previous page stopped (the iterator's `cursor`). */
  cursor?: string;
  /** Newest (largest key) first. */
  reverse?: boolean;
  consistency?: Deno.KvConsistencyLevel;
  batchSize?: number;
}

/** An ordered read of a key range; `cursor` says where it stopped, for the next page. */
export interface StoreListIterator<T> extends AsyncIterableIterator<StoreListEntry<T>> {
  readonly cursor: string;
}

/** One all-or-nothing commit: every check must still hold, then every mutation applies. */
export interface StoreAtomic {
  check(...checks: { key: StoreKey; versionstamp: string | null }[]): this;
  set(key: StoreKey, value: unknown, options?: { expireIn?: number }): this;
  delete(key: StoreKey): this;
  /** Adds to a 64-bit unsigned counter (Deno.KvU64), wrapping modulo 2^64. */
  sum(key: StoreKey, n: bigint): this;
  enqueue(value: unknown, options?: { delay?: number; keysIfUndelivered?: StoreKey[] }): this;
  commit(): Promise<{ ok: true; versionstamp: string } | { ok: false }>;
}

/** The store itself. */
export interface Store {
  get<T = unknown>(key: StoreKey, options?: { consistency?: Deno.KvConsistencyLevel }): Promise<StoreEntry<T>>;
  getMany<T extends readonly unknown[]>(
    keys: readonly [...{ [K in keyof T]: StoreKey }],
    options?: { consistency?: Deno.KvConsistencyLevel },
  ): Promise<{ [K in keyof T]: StoreEntry<T[K]> }>;
  list<T = unknown>(selector: StoreSelector, options?: StoreListOptions): StoreListIterator<T>;
  set(key: StoreKey, value: unknown, options?: { expireIn?: number }): Promise<{ ok: true; versionstamp: string }>;
  delete(key: StoreKey): Promise<void>;
  atomic(): StoreAtomic;
  enqueue(
    value: unknown,
    options?: { delay?: number; keysIfUndelivered?: StoreKey[] },
  ): Promise<{ ok: true; versionstamp: string }>;
  /** Delivers each queued value at least once (so handlers are idempotent); resolves when the store closes. */
  listenQueue(handler: (value: unknown) => Promise<void> | void): Promise<void>;
  /** Emits the current entries of `keys`, then again whenever one of them may have changed. */
  watch<T extends readonly unknown[]>(
    keys: readonly [...{ [K in keyof T]: StoreKey }],
    options?: { raw?: boolean },
  ): ReadableStream<{ [K in keyof T]: StoreEntry<T[K]> }>;
  close(): void;
}

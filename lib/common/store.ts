// The storage port: the small interface every capability's store module is written against. Deno KV
// (a sqlite file, KV Connect or Deno Deploy) satisfies it as it is and is the only adapter today
// (lib/common/kv.ts opens it); a PostgreSQL adapter can later implement the same interface and pass
// the same conformance tests, without touching routes or domain code.

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

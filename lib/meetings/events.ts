// The meeting's message log: every message is persisted in KV with a gap-free sequence number
// before anyone sees it, so a reconnecting client asks for "everything after N" and misses nothing.
// A meeting's commits go through one in-process queue that puts the changes waiting at that moment
// into one atomic commit with consecutive ids: the head key serializes a meeting's commits (about
// 3 ms each on a sqlite file), so one commit per message would cap a meeting near 300 messages/s and
// make concurrent senders retry against each other.
// The meetings capability's store module for the message log (its head and messages).

import type { Store, StoreAtomic, StoreEntry, StoreKey } from "../common/store.ts";
import { commitAtomic, KvConflict } from "../common/kv.ts";
import { eventKeys } from "./keys.ts";

/** How long a meeting's messages are kept for replay and history. */
export const EVENT_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export interface MeetingEvent<T = Record<string, unknown>> {
  /** Sequence number within the meeting, starting at 1, without gaps. */
  id: number;
  type: string;
  at: string;
  data: T;
}

/** The head of a meeting's log: emits now and whenever a commit may have moved it. */
export function watchHead(kv: Store, meetingId: string): ReadableStream<[StoreEntry<number>]> {
  return kv.watch<[number]>([eventKeys.head(meetingId)]);
}

/** What a caller wants committed: optionally a meeting message, plus its own checked writes. */
export interface Change<R> {
  event?: { type: string; data: Record<string, unknown> };
  /** Adds the caller's checks and writes (e.g. a participant record) to the same commit. */
  writes?: (op: StoreAtomic) => void;
  result: R;
}

/**
 * Computes a change from fresh reads. `nextId` is the id its message gets if this attempt commits
 * (a record stored under the message's id can use it); every attempt calls it again.
 */
export type Prepare<R> = (nextId: number) => Promise<Change<R> | null>;

/**
 * Commits a change and its message together or not at all. Each attempt calls `prepare` on fresh
 * reads and takes the next message id under the head's versionstamp check, so concurrent writers
 * (on any web instance) get distinct, ordered, gap-free ids and never commit a stale decision.
 * Changes waiting for the same meeting in this process share one commit (ids in the order they were
 * asked for) unless they touch the same key, which waits for the next commit and its fresh reads.
 * Returns null when `prepare` decides there is nothing to do.
 */
export function commitChange<R>(
  kv: Store,
  meetingId: string,
  prepare: Prepare<R>,
): Promise<{ result: R; event: MeetingEvent | null } | null> {
  let perKv = queues.get(kv);
  if (!perKv) queues.set(kv, perKv = new Map());
  let q = perKv.get(meetingId);
  if (!q) perKv.set(meetingId, q = { waiting: [] });
  return new Promise((resolve, reject) => {
    q.waiting.push({ prepare, resolve, reject } as Waiting);
    q.running ??= drain(kv, meetingId, q, perKv);
  });
}

/** Appends a message on its own (see commitChange for the guarantees). */
export async function appendEvent<T extends Record<string, unknown>>(
  kv: Store,
  meetingId: string,
  type: string,
  data: T,
): Promise<MeetingEvent<T>> {
  const done = await commitChange(kv, meetingId, () => Promise.resolve({ event: { type, data }, result: null }));
  return done!.event as MeetingEvent<T>;
}

/** The messages after `afterId`, in order (bounded by `limit`). */
export async function eventsSince(
  kv: Store,
  meetingId: string,
  afterId: number,
  limit = 1000,
): Promise<MeetingEvent[]> {
  const out: MeetingEvent[] = [];
  const iter = kv.list<MeetingEvent>({
    start: eventKeys.event(meetingId, afterId + 1),
    end: eventKeys.event(meetingId, Number.MAX_SAFE_INTEGER),
  }, { limit });
  for await (const e of iter) out.push(e.value);
  return out;
}

/** The id of the newest message (0 when none). */
export async function headId(kv: Store, meetingId: string): Promise<number> {
  return (await kv.get<number>(eventKeys.head(meetingId))).value ?? 0;
}

// --- The per-meeting commit queue ------------------------------------------------------------

interface Waiting {
  prepare: Prepare<unknown>;
  resolve: (v: { result: unknown; event: MeetingEvent | null } | null) => void;
  reject: (err: unknown) => void;
}

interface MeetingQueue {
  waiting: Waiting[];
  running?: Promise<void>;
}

const queues = new WeakMap<Store, Map<string, MeetingQueue>>();

/**
 * What one shared commit may hold, well inside Deno KV's limits (100 checks — 10 on older KV
 * Connect servers —, 1,000 mutations, 800 KiB): a change that is bigger on its own still commits alone.
 */
const BATCH = { changes: 100, checks: 10, mutations: 500, bytes: 400 * 1024 };

/** Commits what waits, batch after batch, until nothing does. */
async function drain(kv: Store, meetingId: string, q: MeetingQueue, perKv: Map<string, MeetingQueue>) {
  try {
    while (q.waiting.length) {
      const batch = q.waiting.splice(0, BATCH.changes);
      try {
        // Whatever did not fit goes first next time, keeping the order the changes were asked for.
        q.waiting.unshift(...await commitBatch(kv, meetingId, batch));
      } catch (err) {
        // KV itself failed (closed, broken): every change of the batch fails (settled ones stay as they were).
        for (const w of batch) w.reject(err);
      }
    }
  } finally {
    q.running = undefined;
    if (q.waiting.length) q.running = drain(kv, meetingId, q, perKv);
    else if (perKv.get(meetingId) === q) perKv.delete(meetingId);
  }
}

/**
 * One commit for as many of `batch` (from the front) as fit; settles those and returns the rest.
 * Lost races (another process's message, a caller's checked record changed, the sqlite file busy)
 * retry the whole batch with fresh reads, jittered.
 */
async function commitBatch(kv: Store, meetingId: string, batch: Waiting[]): Promise<Waiting[]> {
  let pending = batch;
  for (let attempt = 0; attempt < 50; attempt++) {
    const head = await kv.get<number>(eventKeys.head(meetingId));
    let nextId = (head.value ?? 0) + 1;
    const taken: { w: Waiting; rec: Recorder; result: unknown; event: MeetingEvent | null }[] = [];
    const keys = new Set<string>();
    const size = { checks: 1, mutations: 1, bytes: 0 };
    let deferred: Waiting[] = [];
    const settled = new Set<Waiting>();
    for (let i = 0; i < pending.length; i++) {
      const w = pending[i];
      let change: Change<unknown> | null;
      try {
        change = await w.prepare(nextId);
      } catch (err) {
        w.reject(err);
        settled.add(w);
        continue;
      }
      if (!change) {
        w.resolve(null);
        settled.add(w);
        continue;
      }
      const rec = new Recorder();
      let event: MeetingEvent | null = null;
      if (change.event) {
        event = { id: nextId, type: change.event.type, at: new Date().toISOString(), data: change.event.data };
        rec.set(eventKeys.event(meetingId, nextId), event, { expireIn: EVENT_TTL_MS });
      }
      try {
        change.writes?.(rec as unknown as StoreAtomic);
      } catch (err) {
        w.reject(err);
        settled.add(w);
        continue;
      }
      const fits = size.checks + rec.checks <= BATCH.checks &&
        size.mutations + rec.mutations <= BATCH.mutations && size.bytes + rec.bytes <= BATCH.bytes;
      if (taken.length && (rec.touches(keys) || !fits)) {
        deferred = pending.slice(i);
        break;
      }
      for (const k of rec.keys) keys.add(k);
      size.checks += rec.checks;
      size.mutations += rec.mutations;
      size.bytes += rec.bytes;
      taken.push({ w, rec, result: change.result, event });
      if (event) nextId++;
    }
    if (!taken.length) return deferred;
    const op = kv.atomic();
    const lastId = nextId - 1;
    if (taken.some((t) => t.event)) {
      op.check(head).set(eventKeys.head(meetingId), lastId, { expireIn: EVENT_TTL_MS });
    }
    for (const t of taken) t.rec.replay(op);
    let ok = false;
    try {
      ok = (await commitAtomic(op)).ok;
    } catch (err) {
      // Not a race (a value too large, KV closed): these changes fail, the rest are tried again.
      for (const t of taken) t.w.reject(err);
      return deferred;
    }
    if (ok) {
      for (const t of taken) t.w.resolve({ result: t.result, event: t.event });
      return deferred;
    }
    pending = pending.filter((w) => !settled.has(w));
    await new Promise((r) => setTimeout(r, Math.random() * Math.min(50, 2 ** attempt)));
  }
  const err = new KvConflict(`commitChange ${meetingId}: too much contention`);
  for (const w of pending) w.reject(err);
  return [];
}

/** A stand-in AtomicOperation for one change: notes its keys and size, then replays onto the real one. */
class Recorder {
  readonly keys = new Set<string>();
  checks = 0;
  mutations = 0;
  bytes = 0;
  #steps: ((op: StoreAtomic) => void)[] = [];

  /** True when this change checks or writes a key another change in the commit does. */
  touches(keys: Set<string>): boolean {
    for (const k of this.keys) if (keys.has(k)) return true;
    return false;
  }

  replay(op: StoreAtomic) {
    for (const step of this.#steps) step(op);
  }

  #key(key: StoreKey) {
    this.keys.add(keyId(key));
    this.bytes += keyId(key).length * 2;
  }

  check(...checks: Deno.AtomicCheck[]): this {
    for (const c of checks) this.#key(c.key);
    this.checks += checks.length;
    this.#steps.push((op) => op.check(...checks));
    return this;
  }

  set(key: StoreKey, value: unknown, options?: { expireIn?: number }): this {
    this.#key(key);
    this.mutations++;
    this.bytes += valueBytes(value);
    this.#steps.push((op) => op.set(key, value, options));
    return this;
  }

  delete(key: StoreKey): this {
    this.#key(key);
    this.mutations++;
    this.#steps.push((op) => op.delete(key));
    return this;
  }

  sum(key: StoreKey, n: bigint): this {
    return this.#u64(key, (op) => op.sum(key, n));
  }

  #u64(key: StoreKey, step: (op: StoreAtomic) => void): this {
    this.#key(key);
    this.mutations++;
    this.bytes += 16;
    this.#steps.push(step);
    return this;
  }

  enqueue(value: unknown, options?: Parameters<StoreAtomic["enqueue"]>[1]): this {
    this.mutations++;
    this.bytes += valueBytes(value);
    this.#steps.push((op) => op.enqueue(value, options));
    return this;
  }

  commit(): never {
    throw new Error("commitChange commits the change: writes must not call commit()");
  }
}

function keyId(key: StoreKey): string {
  return key.map((p) => `${typeof p}:${p instanceof Uint8Array ? p.join(",") : String(p)}`).join("\u0000");
}

/**
 * An upper estimate of a value's stored size: V8 serializes strings with one or two bytes per UTF-16
 * unit, so twice the JSON length plus slack. Values JSON cannot measure count as too big to share.
 */
function valueBytes(value: unknown): number {
  try {
    const json = JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
    return (json?.length ?? 0) * 2 + 64;
  } catch {
    return BATCH.bytes;
  }
}

// The meeting's message log: every message is persisted in KV with a gap-free sequence number
// before anyone sees it, so a reconnecting client asks for "everything after N" and misses nothing.

import { commitAtomic, KvConflict } from "../db/kv.ts";

/** How long a meeting's messages are kept for replay and history. */
export const EVENT_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export interface MeetingEvent<T = Record<string, unknown>> {
  /** Sequence number within the meeting, starting at 1, without gaps. */
  id: number;
  type: string;
  at: string;
  data: T;
}

export const eventKeys = {
  head: (meetingId: string) => ["meeting_event_head", meetingId] as const,
  event: (meetingId: string, seq: number) => ["meeting_events", meetingId, seq] as const,
  events: (meetingId: string) => ["meeting_events", meetingId] as const,
};

/** What a caller wants committed: optionally a meeting message, plus its own checked writes. */
export interface Change<R> {
  event?: { type: string; data: Record<string, unknown> };
  /** Adds the caller's checks and writes (e.g. a participant record) to the same commit. */
  writes?: (op: Deno.AtomicOperation) => void;
  result: R;
}

/**
 * Commits a change and its message together or not at all. Each attempt calls `prepare` on fresh
 * reads and takes the next message id under the head's versionstamp check, so concurrent writers
 * (on any web instance) get distinct, ordered, gap-free ids and never commit a stale decision.
 * Returns null when `prepare` decides there is nothing to do.
 */
export async function commitChange<R>(
  kv: Deno.Kv,
  meetingId: string,
  prepare: () => Promise<Change<R> | null>,
): Promise<{ result: R; event: MeetingEvent | null } | null> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const change = await prepare();
    if (!change) return null;
    const op = kv.atomic();
    let event: MeetingEvent | null = null;
    if (change.event) {
      const head = await kv.get<number>(eventKeys.head(meetingId));
      const id = (head.value ?? 0) + 1;
      event = { id, type: change.event.type, at: new Date().toISOString(), data: change.event.data };
      op.check(head)
        .set(eventKeys.head(meetingId), id, { expireIn: EVENT_TTL_MS })
        .set(eventKeys.event(meetingId, id), event, { expireIn: EVENT_TTL_MS });
    }
    change.writes?.(op);
    if ((await commitAtomic(op)).ok) return { result: change.result, event };
    // Lost a race (another message, the caller's record changed, or another process held the KV
    // file): back off a little, jittered.
    await new Promise((r) => setTimeout(r, Math.random() * Math.min(50, 2 ** attempt)));
  }
  throw new KvConflict(`commitChange ${meetingId}: too much contention`);
}

/** Appends a message on its own (see commitChange for the guarantees). */
export async function appendEvent<T extends Record<string, unknown>>(
  kv: Deno.Kv,
  meetingId: string,
  type: string,
  data: T,
): Promise<MeetingEvent<T>> {
  const done = await commitChange(kv, meetingId, () => Promise.resolve({ event: { type, data }, result: null }));
  return done!.event as MeetingEvent<T>;
}

/** The messages after `afterId`, in order (bounded by `limit`). */
export async function eventsSince(
  kv: Deno.Kv,
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
export async function headId(kv: Deno.Kv, meetingId: string): Promise<number> {
  return (await kv.get<number>(eventKeys.head(meetingId))).value ?? 0;
}

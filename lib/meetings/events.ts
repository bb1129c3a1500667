// The meeting's message log: every message is persisted in KV with a gap-free sequence number
// before anyone sees it, so a reconnecting client asks for "everything after N" and misses nothing.

import { KvConflict } from "../db/kv.ts";

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

/**
 * Appends a message: the head counter and the message are written in one atomic commit guarded by
 * the head's versionstamp, so concurrent writers (on any web instance) get distinct, ordered ids.
 * `extra` lets a caller add its own writes (e.g. participant state) to the same commit.
 */
export async function appendEvent<T extends Record<string, unknown>>(
  kv: Deno.Kv,
  meetingId: string,
  type: string,
  data: T,
  extra?: (op: Deno.AtomicOperation) => void,
): Promise<MeetingEvent<T>> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const head = await kv.get<number>(eventKeys.head(meetingId));
    const id = (head.value ?? 0) + 1;
    const event: MeetingEvent<T> = { id, type, at: new Date().toISOString(), data };
    const op = kv.atomic()
      .check(head)
      .set(eventKeys.head(meetingId), id, { expireIn: EVENT_TTL_MS })
      .set(eventKeys.event(meetingId, id), event, { expireIn: EVENT_TTL_MS });
    extra?.(op);
    if ((await op.commit()).ok) return event;
    // Lost the race to another writer: back off a little (jittered) and take the next number.
    await new Promise((r) => setTimeout(r, Math.random() * Math.min(50, 2 ** attempt)));
  }
  throw new KvConflict(`appendEvent ${meetingId}: too much contention`);
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

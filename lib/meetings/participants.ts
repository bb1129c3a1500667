// Participants of a meeting in KV: one record per participantId (a person's presence through one
// socket session, kept across reconnects). Every change others must hear about is committed
// together with its meeting message. The meetings capability's store module for participant records.

import type { Store, StoreAtomic, StoreEntry } from "../common/store.ts";
import { commitChange } from "./events.ts";
import { EVENT_TTL_MS } from "./events.ts";
import type { MeetingEvent } from "./events.ts";
import type { MediaState, ParticipantKind, ParticipantRole, ParticipantView } from "../contracts/meeting_socket.ts";
import { participantKeys } from "./keys.ts";

export interface Participant {
  participantId: string;
  meetingId: string;
  /** The admission this participant entered with; a reconnect must present the same one. */
  admissionId: string;
  userId: string | null;
  name: string;
  role: ParticipantRole;
  joinedAt: string;
  leftAt: string | null;
  state: MediaState;
  feedId: number | null;
  /** A socket currently serves this participant (false during the reconnect grace period). */
  connected: boolean;
  /** The socket session that owns the record; a stale session's writes are ignored. */
  connectionId: string | null;
  /** Hash of the admission's pass token (to update the admission on role changes and removal). */
  admissionHash?: string;
  /** The attendance session open while present (lib/meetings/attendance.ts). */
  attendanceId?: string;
  /** The mids of the published streams, as the client last reported them. */
  mids?: { audio?: string; video?: string; screen?: string };
  mutedByHost?: boolean;
  videoStoppedByHost?: boolean;
  /** A host asked them to unmute / start video: the next unmute passes even when unmuting is not allowed. */
  unmuteRequested?: { audio?: boolean; video?: boolean };
  handRaisedAt?: string | null;
  /** "phone": a caller through the gateway (no socket; present while the call lasts). Absent = "web". */
  kind?: ParticipantKind;
  /** Phone participants: the gateway's call id (lib/telephony/phone.ts). */
  callId?: string;
}

export const SILENT_STATE: MediaState = { audio: false, video: false, screen: false };

/** The part of a participant everyone in the meeting may see. */
export function toView(p: Participant): ParticipantView {
  return {
    participantId: p.participantId,
    name: p.name,
    role: p.role,
    kind: p.kind ?? "web",
    state: p.state,
    feedId: p.feedId,
    joinedAt: p.joinedAt,
    mutedByHost: p.mutedByHost ?? false,
    videoStoppedByHost: p.videoStoppedByHost ?? false,
    handRaisedAt: p.handRaisedAt ?? null,
  };
}

export async function getParticipant(
  kv: Store,
  meetingId: string,
  participantId: string,
): Promise<Participant | null> {
  return (await kv.get<Participant>(participantKeys.participant(meetingId, participantId))).value;
}

/** A participant with its versionstamp (for a checked change). */
export function getParticipantEntry(
  kv: Store,
  meetingId: string,
  participantId: string,
): Promise<StoreEntry<Participant>> {
  return kv.get<Participant>(participantKeys.participant(meetingId, participantId));
}

/** Adds "store this participant record" (kept as long as the meeting's messages) to a commit. */
export function writeParticipant(op: StoreAtomic, p: Participant): StoreAtomic {
  return op.set(participantKeys.participant(p.meetingId, p.participantId), p, { expireIn: EVENT_TTL_MS });
}

/** Participants who have not left (including those inside their reconnect grace period). */
export async function listPresent(kv: Store, meetingId: string): Promise<Participant[]> {
  const out: Participant[] = [];
  for await (const e of kv.list<Participant>({ prefix: participantKeys.meeting(meetingId) })) {
    if (e.value.leftAt === null) out.push(e.value);
  }
  return out;
}

/**
 * How many participants are in a meeting now, reading at most `scan` records (left ones included):
 * bounded, for lists that show many meetings. `capped` when records were left unread, so the
 * count may be low.
 */
export async function countPresent(
  kv: Store,
  meetingId: string,
  scan = 50,
): Promise<{ count: number; capped: boolean }> {
  let count = 0;
  let read = 0;
  for await (const e of kv.list<Participant>({ prefix: participantKeys.meeting(meetingId) }, { limit: scan + 1 })) {
    if (++read > scan) return { count, capped: true };
    if (e.value.leftAt === null) count++;
  }
  return { count, capped: false };
}

/** The outcome `decide` picks: the new record and, when others must hear of it, the message. */
export interface ParticipantChange {
  next: Participant;
  event?: { type: string; data: Record<string, unknown> };
  /** More keys written in the same commit (attendance, admission, indexes). */
  writes?: (op: StoreAtomic) => void;
}

/**
 * Reads a participant (null when absent), lets `decide` compute the change, and commits the new
 * record with its message in one atomic commit checked against the record read (retried on
 * races with fresh reads). Returns null when `decide` returns null.
 */
export async function changeParticipant(
  kv: Store,
  meetingId: string,
  participantId: string,
  decide: (current: Participant | null) => ParticipantChange | null,
): Promise<{ participant: Participant; event: MeetingEvent | null } | null> {
  const key = participantKeys.participant(meetingId, participantId);
  const done = await commitChange(kv, meetingId, async () => {
    const entry = await kv.get<Participant>(key);
    const change = decide(entry.value);
    if (!change) return null;
    return {
      event: change.event,
      result: change.next,
      writes: (op) => {
        op.check(entry).set(key, change.next, { expireIn: EVENT_TTL_MS });
        change.writes?.(op);
      },
    };
  });
  return done ? { participant: done.result, event: done.event } : null;
}

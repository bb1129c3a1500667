// The recordings capability's store module: the only code that reads and writes its KV records
// (keys in lib/recordings/keys.ts) through the storage port. A recording's record, its two list
// indexes (its owner's, its meeting's), the meeting's "recording now" marker while it runs, and the
// retention index the sweeper reads. The media itself lives on the gateway's disk, never in KV.

import type { Store, StoreAtomic, StoreEntry, StoreSelector } from "../common/store.ts";
import { commitOrThrow, updateRecord } from "../common/kv.ts";
import { InvalidCursor } from "../accounts/users.ts";
import { newId } from "../common/ids.ts";
import { recordingKeys } from "./keys.ts";

export type RecordingState = "recording" | "processing" | "ready" | "failed";

export interface Recording {
  /** ULID: lists sort by it, so a reversed listing is newest first. */
  id: string;
  /** The meeting's 10-digit number, and its record's ULID. */
  meetingId: string;
  meetingRecordId: string;
  /** Whose recording it is: the meeting's host when it started (their Recordings page lists it). */
  ownerId: string;
  /** The meeting's title when it started; the owner may rename it. */
  title: string;
  state: RecordingState;
  /** Processing progress, 0–100 (100 once ready). */
  progress: number;
  startedAt: string;
  stoppedAt: string | null;
  /** Who started and who stopped it (account ids; "system" when the meeting's end stopped it). */
  startedBy: string;
  stoppedBy: string | null;
  durationSeconds: number | null;
  sizeBytes: number | null;
  /** Why it failed, in words a person understands (state "failed" only). */
  reason: string | null;
  /** When retention deletes it (set once it is ready or failed). */
  expiresAt: string | null;
  updatedAt: string;
}

const ULID_RE = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** A new recording's record, as it starts: running, nothing measured yet. */
export function newRecording(
  of: Pick<Recording, "meetingId" | "meetingRecordId" | "ownerId" | "title" | "startedBy">,
  now = new Date().toISOString(),
): Recording {
  return {
    id: newId(),
    ...of,
    state: "recording",
    progress: 0,
    startedAt: now,
    stoppedAt: null,
    stoppedBy: null,
    durationSeconds: null,
    sizeBytes: null,
    reason: null,
    expiresAt: null,
    updatedAt: now,
  };
}

export async function getRecording(kv: Store, id: string): Promise<Recording | null> {
  if (!ULID_RE.test(id)) return null;
  return (await kv.get<Recording>(recordingKeys.recording(id))).value;
}

/** The meeting's "recording now" marker (value: the running recording's id), with its versionstamp. */
export function activeEntry(kv: Store, meetingId: string): Promise<StoreEntry<string>> {
  return kv.get<string>(recordingKeys.active(meetingId));
}

/**
 * Adds "a recording starts" to a commit: the record, both list entries and the meeting's marker,
 * under the check that the marker is still as read (absent), so two starts cannot both win.
 */
export function writeStart(op: StoreAtomic, marker: StoreEntry<string>, rec: Recording): StoreAtomic {
  return op
    .check(marker)
    .set(recordingKeys.recording(rec.id), rec)
    .set(recordingKeys.byOwner(rec.ownerId, rec.id), rec.id)
    .set(recordingKeys.byMeeting(rec.meetingId, rec.id), rec.id)
    .set(recordingKeys.active(rec.meetingId), rec.id);
}

/**
 * Adds "the running recording stopped" to a commit: the marker goes (checked as read) and the
 * record, read as `current`, is written as `next` under a check of its own (with its retention
 * entry when it already has an end, as a recording that failed at once does).
 */
export function writeStop(
  op: StoreAtomic,
  marker: StoreEntry<string>,
  current: StoreEntry<Recording>,
  next: Recording,
): StoreAtomic {
  op.check(marker).check(current).delete(marker.key).set(current.key, next);
  if (next.expiresAt) op.set(recordingKeys.expiry(Date.parse(next.expiresAt), next.id), next.id);
  return op;
}

export function getRecordingEntry(kv: Store, id: string): Promise<StoreEntry<Recording>> {
  return kv.get<Recording>(recordingKeys.recording(id));
}

/**
 * Read-modify-write of a recording under a versionstamp check, retried on conflict, keeping the
 * retention index in step with `expiresAt`. `change` returning null leaves it as it is.
 */
export async function updateRecording(
  kv: Store,
  id: string,
  change: (r: Recording) => Recording | null,
): Promise<Recording | null> {
  return await updateRecord<Recording>(kv, recordingKeys.recording(id), `updateRecording ${id}`, (current, op) => {
    const next = change(current);
    if (!next) return null;
    if (current.expiresAt !== next.expiresAt) {
      if (current.expiresAt) op.delete(recordingKeys.expiry(Date.parse(current.expiresAt), id));
      if (next.expiresAt) op.set(recordingKeys.expiry(Date.parse(next.expiresAt), id), id);
    }
    return { ...next, updatedAt: new Date().toISOString() };
  });
}

/** Removes a recording's record and every index entry of it in one checked commit. */
export async function deleteRecordingRecords(kv: Store, current: StoreEntry<Recording>): Promise<void> {
  const r = current.value!;
  const op = kv.atomic().check(current)
    .delete(current.key)
    .delete(recordingKeys.byOwner(r.ownerId, r.id))
    .delete(recordingKeys.byMeeting(r.meetingId, r.id));
  if (r.expiresAt) op.delete(recordingKeys.expiry(Date.parse(r.expiresAt), r.id));
  await commitOrThrow(op, `deleteRecording ${r.id}`);
}

export interface RecordingPage {
  recordings: Recording[];
  /** Pass as `cursor` for the next page; null on the last one. */
  nextCursor: string | null;
}

/**
 * One page of an index (a person's or a meeting's recordings), newest first: reads `limit + 1`
 * index entries from the cursor on and those records, never the whole list.
 */
async function pageOf(
  kv: Store,
  prefix: readonly string[],
  entryKey: (id: string) => readonly string[],
  opts: { cursor?: string; limit?: number },
): Promise<RecordingPage> {
  const limit = Math.max(1, Math.min(opts.limit ?? 25, 100));
  if (opts.cursor !== undefined && !ULID_RE.test(opts.cursor)) throw new InvalidCursor();
  // Reversed: `end` is exclusive, so the page resumes just below the cursor's entry.
  const selector: StoreSelector = opts.cursor ? { prefix: [...prefix], end: [...entryKey(opts.cursor)] } : {
    prefix: [...prefix],
  };
  const ids: string[] = [];
  for await (const e of kv.list<string>(selector, { limit: limit + 1, reverse: true, batchSize: limit + 1 })) {
    ids.push(e.value);
  }
  const more = ids.length > limit;
  if (more) ids.length = limit;
  const recordings: Recording[] = [];
  for (let i = 0; i < ids.length; i += 10) {
    const got = await kv.getMany<Recording[]>(ids.slice(i, i + 10).map((id) => recordingKeys.recording(id)));
    for (const e of got) if (e.value) recordings.push(e.value);
  }
  return { recordings, nextCursor: more ? ids.at(-1)! : null };
}

/** A person's recordings, newest first, one page. */
export function listOwnerRecordings(
  kv: Store,
  ownerId: string,
  opts: { cursor?: string; limit?: number } = {},
): Promise<RecordingPage> {
  return pageOf(kv, recordingKeys.owner(ownerId), (id) => recordingKeys.byOwner(ownerId, id), opts);
}

/** A meeting's recordings, newest first, one page. */
export function listMeetingRecordings(
  kv: Store,
  meetingId: string,
  opts: { cursor?: string; limit?: number } = {},
): Promise<RecordingPage> {
  return pageOf(kv, recordingKeys.meeting(meetingId), (id) => recordingKeys.byMeeting(meetingId, id), opts);
}

/** Up to `limit` recordings whose retention ended by `nowMs`, oldest expiry first (their ids). */
export async function expiredRecordingIds(kv: Store, nowMs: number, limit = 100): Promise<string[]> {
  const ids: string[] = [];
  const selector: StoreSelector = { start: [...recordingKeys.expiries()], end: recordingKeys.expiry(nowMs + 1, "") };
  for await (const e of kv.list<string>(selector, { limit })) ids.push(e.value);
  return ids;
}

/** The queue message that has the web app ask the gateway how a recording is doing. */
export interface RecordingPoll {
  type: "recording-poll";
  recordingId: string;
  /** The meeting's record id (to stop a recording the gateway stopped on its own). */
  meetingRecordId: string;
}

export function isRecordingPoll(m: unknown): m is RecordingPoll {
  const x = m as Partial<RecordingPoll> | null;
  return x?.type === "recording-poll" && typeof x.recordingId === "string" && typeof x.meetingRecordId === "string";
}

/** Enqueues a status poll of a recording after `delayMs` (KV queues: at least once, survives restarts). */
export async function enqueuePoll(
  kv: Store,
  poll: Omit<RecordingPoll, "type">,
  delayMs: number,
): Promise<void> {
  const message: RecordingPoll = { type: "recording-poll", ...poll };
  await commitOrThrow(kv.atomic().enqueue(message, { delay: delayMs }), `enqueue recording poll ${poll.recordingId}`);
}

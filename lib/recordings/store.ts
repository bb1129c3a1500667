// The recordings capability's store module: the only code that reads and writes its KV records
// (keys in lib/recordings/keys.ts) through the storage port. A recording's record, its two list
// indexes (its owner's, its meeting's), the meeting's "recording now" marker while it runs, and the
// retention index the sweeper reads. The media itself lives on the gateway's disk, never in KV.

import type { Store, StoreAtomic, StoreEntry, StoreKey, StoreSelector } from "../common/store.ts";
import { commitAtomic, commitOrThrow, updateRecord } from "../common/kv.ts";
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
  /** The host shared it with the meeting's signed-in participants (they may watch it). */
  sharedWithParticipants?: boolean;
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
 * retention index in step with `expiresAt`. `change` returning null leaves it as it is; it may add
 * writes of its own to the same commit (`op`).
 */
export async function updateRecording(
  kv: Store,
  id: string,
  change: (r: Recording, op: StoreAtomic) => Recording | null,
): Promise<Recording | null> {
  return await updateRecord<Recording>(kv, recordingKeys.recording(id), `updateRecording ${id}`, (current, op) => {
    const next = change(current, op);
    if (!next) return null;
    if (current.expiresAt !== next.expiresAt) {
      if (current.expiresAt) op.delete(recordingKeys.expiry(Date.parse(current.expiresAt), id));
      if (next.expiresAt) op.set(recordingKeys.expiry(Date.parse(next.expiresAt), id), id);
    }
    return { ...next, updatedAt: new Date().toISOString() };
  });
}

/**
 * Removes a recording's record, every index entry and share link of it, and its bytes from the
 * storage counters, in one checked commit.
 */
export async function deleteRecordingRecords(kv: Store, current: StoreEntry<Recording>): Promise<void> {
  const r = current.value!;
  const op = kv.atomic().check(current)
    .delete(current.key)
    .delete(recordingKeys.byOwner(r.ownerId, r.id))
    .delete(recordingKeys.byMeeting(r.meetingId, r.id));
  if (r.expiresAt) op.delete(recordingKeys.expiry(Date.parse(r.expiresAt), r.id));
  for await (const e of kv.list<string>({ prefix: [...recordingKeys.linksOf(r.id)] }, { limit: MAX_LINKS * 2 })) {
    op.delete(e.key).delete(recordingKeys.link(e.value));
  }
  if (r.state === "ready" && r.sizeBytes) countBytes(op, r.ownerId, -r.sizeBytes);
  await commitOrThrow(op, `deleteRecording ${r.id}`);
}

// ---- storage used ------------------------------------------------------------------------------

const U64 = 1n << 64n;

/** Adds `bytes` (negative: takes them away; KvU64 sums wrap modulo 2^64) to the owner's and the total. */
function countBytes(op: StoreAtomic, ownerId: string, bytes: number): void {
  const n = ((BigInt(Math.round(bytes)) % U64) + U64) % U64;
  op.sum(recordingKeys.bytesByOwner(ownerId), n).sum(recordingKeys.totalBytes(), n);
}

/** Bytes of ready recordings: one owner's, or everyone's (two counters, no scan). */
export async function storageBytes(kv: Store, ownerId?: string): Promise<number> {
  const key = ownerId === undefined ? recordingKeys.totalBytes() : recordingKeys.bytesByOwner(ownerId);
  const v = (await kv.get<Deno.KvU64>(key)).value;
  return v ? Number(v.value) : 0;
}

/** The queue message that tells the host their recording is ready (or failed). */
export interface RecordingNotice {
  type: "recording-notice";
  recordingId: string;
  /** The delivery to retry ("email" or "push:<device id>"); absent on the first message (all of them). */
  channel?: string;
  attempt: number;
}

export function isRecordingNotice(m: unknown): m is RecordingNotice {
  const x = m as Partial<RecordingNotice> | null;
  return x?.type === "recording-notice" && typeof x.recordingId === "string" && typeof x.attempt === "number";
}

/**
 * Adds what a recording's end (ready or failed) writes besides the record to its commit: the bytes
 * it now takes (ready) and the notice to its host, so the notice is queued exactly when the state
 * changes and never again (a redelivered poll finds the state already moved and commits nothing).
 */
export function writeOutcome(op: StoreAtomic, next: Recording): StoreAtomic {
  if (next.state === "ready" && next.sizeBytes) countBytes(op, next.ownerId, next.sizeBytes);
  const notice: RecordingNotice = { type: "recording-notice", recordingId: next.id, attempt: 1 };
  return op.enqueue(notice);
}

// ---- notice deliveries -------------------------------------------------------------------------

export interface NoticeMarker {
  state: "sending" | "sent" | "retry" | "failed";
  attempt: number;
  detail?: string;
}

export interface NoticeClaim {
  key: readonly unknown[];
  versionstamp: string;
}

/** How long delivery markers are kept (beyond any retry). */
const NOTICE_MARKER_MS = 7 * 86_400_000;

/**
 * Claims one delivery before it is sent: only when nobody has (first attempt) or the marker waits
 * for exactly this retry. A redelivered message or a second process gets null and sends nothing.
 */
export async function claimNotice(
  kv: Store,
  recordingId: string,
  channel: string,
  attempt: number,
): Promise<NoticeClaim | null> {
  const key = recordingKeys.notice(recordingId, channel);
  const entry = await kv.get<NoticeMarker>(key);
  const m = entry.value;
  if (m && !(m.state === "retry" && m.attempt === attempt)) return null;
  if (!m && attempt !== 1) return null;
  const marker: NoticeMarker = { state: "sending", attempt };
  const res = await commitAtomic(kv.atomic().check(entry).set(key, marker, { expireIn: NOTICE_MARKER_MS }));
  return res.ok ? { key, versionstamp: res.versionstamp } : null;
}

/** Records how a claimed delivery ended; a retry's message is queued in the same commit. */
export async function settleNotice(
  kv: Store,
  claim: NoticeClaim,
  marker: NoticeMarker,
  retry: { message: RecordingNotice; delayMs: number } | null,
): Promise<boolean> {
  const op = kv.atomic().check({ key: claim.key as StoreKey, versionstamp: claim.versionstamp })
    .set(claim.key as StoreKey, marker, { expireIn: NOTICE_MARKER_MS });
  if (retry) op.enqueue(retry.message, { delay: retry.delayMs });
  return (await commitAtomic(op)).ok;
}

// ---- retention per account ---------------------------------------------------------------------

/** An account's retention in days as an admin set it, or null (the server's default applies). */
export async function getRetentionDays(kv: Store, userId: string): Promise<number | null> {
  return (await kv.get<number>(recordingKeys.retention(userId))).value;
}

/** Sets (or with null, clears) an account's retention; `also` adds its audit entry to the commit. */
export async function setRetentionDays(
  kv: Store,
  userId: string,
  days: number | null,
  also: (op: StoreAtomic) => void,
): Promise<void> {
  const key = recordingKeys.retention(userId);
  const op = days === null ? kv.atomic().delete(key) : kv.atomic().set(key, days);
  also(op);
  await commitOrThrow(op, `setRetentionDays ${userId}`);
}

// ---- share links -------------------------------------------------------------------------------

/** At most this many share links per recording (revoked and expired ones do not count). */
export const MAX_LINKS = 20;

export interface ShareLink {
  id: string;
  recordingId: string;
  /** SHA-256 of the link's token (its key). */
  tokenHash: string;
  /** SHA-256 of "<link id>:<passcode>", or null when the link needs none. */
  passcodeHash: string | null;
  expiresAt: string;
  createdAt: string;
  createdBy: string;
}

/** Stores a new link with its index entry, both expiring with it; false when the recording has MAX_LINKS. */
export async function createLink(kv: Store, link: ShareLink): Promise<boolean> {
  const live = await listLinks(kv, link.recordingId);
  if (live.length >= MAX_LINKS) return false;
  const expireIn = Math.max(1000, Date.parse(link.expiresAt) - Date.now());
  await commitOrThrow(
    kv.atomic()
      .check({ key: recordingKeys.link(link.tokenHash), versionstamp: null })
      .set(recordingKeys.link(link.tokenHash), link, { expireIn })
      .set(recordingKeys.linkOf(link.recordingId, link.id), link.tokenHash, { expireIn }),
    `createLink ${link.recordingId}`,
  );
  return true;
}

/** A link by its token's hash, or null when unknown, revoked or expired. */
export async function getLink(kv: Store, tokenHash: string, nowMs = Date.now()): Promise<ShareLink | null> {
  const link = (await kv.get<ShareLink>(recordingKeys.link(tokenHash))).value;
  return link && Date.parse(link.expiresAt) > nowMs ? link : null;
}

/** A recording's live links, oldest first (at most MAX_LINKS). */
export async function listLinks(kv: Store, recordingId: string, nowMs = Date.now()): Promise<ShareLink[]> {
  const hashes: string[] = [];
  const prefix = [...recordingKeys.linksOf(recordingId)];
  for await (const e of kv.list<string>({ prefix }, { limit: MAX_LINKS * 2 })) hashes.push(e.value);
  const links: ShareLink[] = [];
  for (let i = 0; i < hashes.length; i += 10) {
    const got = await kv.getMany<ShareLink[]>(hashes.slice(i, i + 10).map((h) => recordingKeys.link(h)));
    for (const e of got) if (e.value && Date.parse(e.value.expiresAt) > nowMs) links.push(e.value);
  }
  return links;
}

/** Revokes a link (its record and index entry) in one commit. */
export async function deleteLink(kv: Store, link: ShareLink): Promise<void> {
  await commitOrThrow(
    kv.atomic().delete(recordingKeys.link(link.tokenHash)).delete(recordingKeys.linkOf(link.recordingId, link.id)),
    `deleteLink ${link.id}`,
  );
}

export interface RecordingPage {
  recordings: Recording[];
  /** Pass as `cursor` for the next (older) page; null on the last one. */
  nextCursor: string | null;
  /** Pass as `before` for the previous (newer) page; null on the first one. */
  prevCursor: string | null;
}

export interface PageOptions {
  /** The older page after this id (a page's nextCursor). */
  cursor?: string;
  /** The newer page before this id (a page's prevCursor); wins over `cursor`. */
  before?: string;
  limit?: number;
}

/**
 * One page of an index (a person's or a meeting's recordings), newest first: reads `limit + 1`
 * index entries from the cursor on (backwards for older, forwards for newer) and those records,
 * never the whole list.
 */
async function pageOf(
  kv: Store,
  prefix: readonly string[],
  entryKey: (id: string) => readonly string[],
  opts: PageOptions,
): Promise<RecordingPage> {
  const limit = Math.max(1, Math.min(opts.limit ?? 25, 100));
  for (const c of [opts.cursor, opts.before]) if (c !== undefined && !ULID_RE.test(c)) throw new InvalidCursor();
  const newer = opts.before !== undefined;
  // Older: reversed, `end` exclusive, so the page resumes just below the cursor's entry. Newer:
  // forwards from just above `before` (its id followed by NUL sorts right after it).
  const selector: StoreSelector = newer
    ? { start: [...entryKey(opts.before! + "\u0000")], end: [...prefix, "\uffff"] }
    : opts.cursor
    ? { prefix: [...prefix], end: [...entryKey(opts.cursor)] }
    : { prefix: [...prefix] };
  const ids: string[] = [];
  for await (const e of kv.list<string>(selector, { limit: limit + 1, reverse: !newer, batchSize: limit + 1 })) {
    ids.push(e.value);
  }
  const more = ids.length > limit;
  if (more) ids.length = limit;
  if (newer) ids.reverse();
  const recordings: Recording[] = [];
  for (let i = 0; i < ids.length; i += 10) {
    const got = await kv.getMany<Recording[]>(ids.slice(i, i + 10).map((id) => recordingKeys.recording(id)));
    for (const e of got) if (e.value) recordings.push(e.value);
  }
  const first = ids[0] ?? null;
  const last = ids.at(-1) ?? null;
  return newer
    ? { recordings, prevCursor: more ? first : null, nextCursor: last }
    : { recordings, prevCursor: opts.cursor ? first : null, nextCursor: more ? last : null };
}

/** A person's recordings, newest first, one page. */
export function listOwnerRecordings(
  kv: Store,
  ownerId: string,
  opts: PageOptions = {},
): Promise<RecordingPage> {
  return pageOf(kv, recordingKeys.owner(ownerId), (id) => recordingKeys.byOwner(ownerId, id), opts);
}

/** A meeting's recordings, newest first, one page. */
export function listMeetingRecordings(
  kv: Store,
  meetingId: string,
  opts: PageOptions = {},
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

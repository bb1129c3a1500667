// Attendance: one record per stay in a meeting (joined at welcome, left at participant-left,
// removal or the meeting's end), so a person who rejoins has several; plus the per-person index
// behind the "Meetings" history page. Records are written in the same commit as the participant
// change they describe. The meetings capability's store module for attendance records.

import type { Store, StoreAtomic, StoreSelector } from "../common/store.ts";
import type { Meeting } from "./store.ts";
import { InvalidCursor } from "../accounts/users.ts";
import type { Participant } from "./participants.ts";
import { attendanceKeys } from "./keys.ts";

/** The participant as they were during one stay (its fields copied, so later changes do not touch it). */
export interface AttendanceRecord extends
  Pick<
    Participant,
    "meetingId" | "participantId" | "admissionId" | "userId" | "name" | "role" | "joinedAt" | "leftAt"
  > {
  attendanceId: string;
}

function record(p: Participant, leftAt: string | null): AttendanceRecord {
  return {
    attendanceId: p.attendanceId!,
    meetingId: p.meetingId,
    participantId: p.participantId,
    admissionId: p.admissionId,
    userId: p.userId,
    name: p.name,
    role: p.role,
    joinedAt: p.joinedAt,
    leftAt,
  };
}

/** Adds the writes that open `p`'s attendance session (p.attendanceId set) to a commit. */
export function openAttendance(op: StoreAtomic, meetingRecordId: string, p: Participant) {
  op.set(attendanceKeys.record(p.meetingId, p.attendanceId!), record(p, null));
  if (p.userId) op.set(attendanceKeys.byAttendee(p.userId, meetingRecordId), p.meetingId);
}

/** Adds the write that closes (or renames/re-roles, with leftAt null) `p`'s attendance session. */
export function writeAttendance(op: StoreAtomic, p: Participant, leftAt: string | null) {
  if (p.attendanceId) op.set(attendanceKeys.record(p.meetingId, p.attendanceId), record(p, leftAt));
}

/** Whether a signed-in person attended the meeting (its record's id) at least once: one read. */
export async function attended(kv: Store, userId: string, meetingRecordId: string): Promise<boolean> {
  return (await kv.get(attendanceKeys.byAttendee(userId, meetingRecordId))).value !== null;
}

/** Sessions still open when the meeting ended end at the meeting's end (so the reconnect grace period never inflates a stay). */
function clampToEnd(meeting: Meeting, stored: AttendanceRecord): AttendanceRecord {
  const r = { ...stored };
  if (meeting.endedAt && (r.leftAt === null || r.leftAt > meeting.endedAt)) r.leftAt = meeting.endedAt;
  return r;
}

const ULID_RE = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export interface AttendancePage {
  records: AttendanceRecord[];
  /** Pass as `cursor` for the next page; null on the last. An opaque string to clients. */
  nextCursor: string | null;
}

/**
 * One page of a meeting's attendance sessions in join order (attendance ids are monotonic ULIDs
 * made at join): reads only `limit` + 1 records. Throws InvalidCursor for a cursor it did not hand out.
 */
export async function listAttendancePage(
  kv: Store,
  meeting: Meeting,
  opts: { cursor?: string; limit?: number } = {},
): Promise<AttendancePage> {
  const limit = Math.max(1, Math.min(opts.limit ?? 100, 500));
  if (opts.cursor !== undefined && !ULID_RE.test(opts.cursor)) throw new InvalidCursor();
  const prefix = attendanceKeys.meeting(meeting.meetingId);
  const selector: StoreSelector = opts.cursor
    ? { prefix, start: [...attendanceKeys.record(meeting.meetingId, opts.cursor), new Uint8Array()] }
    : { prefix };
  const records: AttendanceRecord[] = [];
  for await (const e of kv.list<AttendanceRecord>(selector, { limit: limit + 1, batchSize: limit + 1 })) {
    records.push(clampToEnd(meeting, e.value));
  }
  const more = records.length > limit;
  if (more) records.length = limit;
  return { records, nextCursor: more ? records.at(-1)!.attendanceId : null };
}

/**
 * Every attendance session of a meeting, in join order, read page by page: for the CSV export,
 * which is the whole list by nature. Pages and API lists use listAttendancePage.
 */
export async function listAttendance(kv: Store, meeting: Meeting): Promise<AttendanceRecord[]> {
  const out: AttendanceRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await listAttendancePage(kv, meeting, { cursor, limit: 500 });
    out.push(...page.records);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

/** How many different people attended (accounts, or admissions for guests). */
export function countPeople(records: AttendanceRecord[]): number {
  return new Set(records.map((r) => r.userId ? `u:${r.userId}` : `a:${r.admissionId}`)).size;
}

/** The most attendance sessions peopleCount reads for one meeting. */
export const PEOPLE_COUNT_READ_LIMIT = 1000;

/**
 * How many different people attended a meeting, from at most PEOPLE_COUNT_READ_LIMIT sessions
 * (`capped` when there were more). Distinct people cannot be an atomic counter: the commits that
 * open sessions (hub, phone) would have to read whether the person came before.
 */
export async function peopleCount(kv: Store, meeting: Meeting): Promise<{ count: number; capped: boolean }> {
  const people = new Set<string>();
  let read = 0;
  const iter = kv.list<AttendanceRecord>(
    { prefix: attendanceKeys.meeting(meeting.meetingId) },
    { limit: PEOPLE_COUNT_READ_LIMIT + 1, batchSize: 500 },
  );
  for await (const e of iter) {
    if (++read > PEOPLE_COUNT_READ_LIMIT) return { count: people.size, capped: true };
    people.add(e.value.userId ? `u:${e.value.userId}` : `a:${e.value.admissionId}`);
  }
  return { count: people.size, capped: false };
}

/** Seconds between two ISO times (null when `to` is null). */
export function seconds(from: string | null, to: string | null): number | null {
  if (!from || !to) return null;
  return Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / 1000));
}

/**
 * One CSV field: quoted when needed (RFC 4180), and a leading `= + - @` (or tab/CR) is prefixed with
 * `'` so spreadsheets never evaluate a participant's name as a formula.
 */
export function csvField(value: string | number | null): string {
  let s = value === null ? "" : String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** The attendance as CSV (header row, CRLF line ends). */
export function attendanceCsv(records: AttendanceRecord[]): string {
  const rows: (string | number | null)[][] = [
    ["Name", "Role", "Account", "Joined", "Left", "Duration (seconds)"],
    ...records.map((r) => [
      r.name,
      r.role,
      r.userId ? "yes" : "no",
      r.joinedAt,
      r.leftAt,
      seconds(r.joinedAt, r.leftAt),
    ]),
  ];
  return rows.map((row) => row.map(csvField).join(",")).join("\r\n") + "\r\n";
}

// Attendance: one record per stay in a meeting (joined at welcome, left at participant-left,
// removal or the meeting's end), so a person who rejoins has several; plus the per-person index
// behind the "Meetings" history page. Records are written in the same commit as the participant
// change they describe.

import type { Meeting } from "../db/meetings.ts";
import type { Participant } from "./participants.ts";
import type { ParticipantRole } from "./protocol.ts";

export interface AttendanceRecord {
  attendanceId: string;
  meetingId: string;
  participantId: string;
  admissionId: string;
  userId: string | null;
  name: string;
  role: ParticipantRole;
  joinedAt: string;
  leftAt: string | null;
}

export const attendanceKeys = {
  record: (meetingId: string, attendanceId: string) => ["meeting_attendance", meetingId, attendanceId] as const,
  meeting: (meetingId: string) => ["meeting_attendance", meetingId] as const,
  /** Meetings a signed-in person attended: value is the 10-digit meeting ID. */
  byAttendee: (userId: string, meetingRecordId: string) => ["meetings_by_attendee", userId, meetingRecordId] as const,
  attendee: (userId: string) => ["meetings_by_attendee", userId] as const,
};

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
export function openAttendance(op: Deno.AtomicOperation, meetingRecordId: string, p: Participant) {
  op.set(attendanceKeys.record(p.meetingId, p.attendanceId!), record(p, null));
  if (p.userId) op.set(attendanceKeys.byAttendee(p.userId, meetingRecordId), p.meetingId);
}

/** Adds the write that closes (or renames/re-roles, with leftAt null) `p`'s attendance session. */
export function writeAttendance(op: Deno.AtomicOperation, p: Participant, leftAt: string | null) {
  if (p.attendanceId) op.set(attendanceKeys.record(p.meetingId, p.attendanceId), record(p, leftAt));
}

/**
 * Every attendance session of a meeting, in join order. Sessions still open when the meeting ended
 * end at the meeting's end (so the reconnect grace period never inflates a stay).
 */
export async function listAttendance(kv: Deno.Kv, meeting: Meeting): Promise<AttendanceRecord[]> {
  const out: AttendanceRecord[] = [];
  for await (const e of kv.list<AttendanceRecord>({ prefix: attendanceKeys.meeting(meeting.meetingId) })) {
    const r = { ...e.value };
    if (meeting.endedAt && (r.leftAt === null || r.leftAt > meeting.endedAt)) r.leftAt = meeting.endedAt;
    out.push(r);
  }
  return out.sort((a, b) => a.joinedAt.localeCompare(b.joinedAt) || a.attendanceId.localeCompare(b.attendanceId));
}

/** How many different people attended (accounts, or admissions for guests). */
export function countPeople(records: AttendanceRecord[]): number {
  return new Set(records.map((r) => r.userId ? `u:${r.userId}` : `a:${r.admissionId}`)).size;
}

/** Seconds between two ISO times (null when `to` is null). */
export function seconds(from: string | null, to: string | null): number | null {
  if (!from || !to) return null;
  return Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / 1000));
}

/** Meeting record ids a signed-in person attended, newest first. */
export async function listAttendedMeetingIds(kv: Deno.Kv, userId: string, limit = 100): Promise<string[]> {
  const ids: string[] = [];
  for await (const e of kv.list({ prefix: attendanceKeys.attendee(userId) }, { reverse: true, limit })) {
    ids.push(String(e.key[2]));
  }
  return ids;
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

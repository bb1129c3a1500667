// A person's meeting history: meetings they host plus meetings they attended, with start, end,
// duration and how many people came (from the attendance records).

import { listHostedMeetings, meetingKeys, roleOf } from "../db/meetings.ts";
import type { Meeting } from "../db/meetings.ts";
import { countPeople, listAttendance, listAttendedMeetingIds, seconds } from "./attendance.ts";

export interface HistoryItem {
  meeting: Meeting;
  /** The person hosts or co-hosts it (and so may download its records). */
  hosted: boolean;
  startedAt: string | null;
  endedAt: string | null;
  durationSeconds: number | null;
  participantCount: number;
}

/** Meetings the person hosted or attended (each once), newest first, at most `limit`. */
export async function meetingHistory(kv: Deno.Kv, userId: string, limit = 50): Promise<HistoryItem[]> {
  const hosted = await listHostedMeetings(kv, userId, limit);
  const attendedIds = await listAttendedMeetingIds(kv, userId, limit);
  const seen = new Set(hosted.map((m) => m.id));
  const attended = (await Promise.all(
    attendedIds.filter((id) => !seen.has(id)).map((id) => kv.get<Meeting>(meetingKeys.meeting(id))),
  )).map((e) => e.value).filter((m): m is Meeting => m !== null);
  const meetings = [...hosted, ...attended]
    .sort((a, b) => (b.startedAt ?? b.createdAt).localeCompare(a.startedAt ?? a.createdAt))
    .slice(0, limit);
  return await Promise.all(meetings.map(async (meeting) => {
    const records = await listAttendance(kv, meeting);
    const role = roleOf(meeting, userId);
    return {
      meeting,
      hosted: role === "host" || role === "cohost",
      startedAt: meeting.startedAt,
      endedAt: meeting.endedAt,
      durationSeconds: seconds(meeting.startedAt, meeting.endedAt),
      participantCount: countPeople(records),
    };
  }));
}

/** "1 h 5 min", "12 min", "40 s". */
export function formatDuration(totalSeconds: number): string {
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  if (h) return `${h} h ${m} min`;
  if (m) return `${m} min`;
  return `${totalSeconds} s`;
}

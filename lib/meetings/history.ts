// A person's meeting history: meetings they host plus meetings they attended, newest first, with
// start, end, duration and how many people came. Paged by cursor over the two per-person indexes
// (meetings_by_host, meetings_by_attendee), both keyed by the meeting's ULID record id, so a page
// reads about one page of index entries from each, never the whole history.

import type { Store } from "../common/store.ts";
import { getMeetings, personMeetingIds, roleOf } from "./store.ts";
import type { Meeting } from "./store.ts";
import { InvalidCursor } from "../accounts/users.ts";
import { peopleCount, seconds } from "./attendance.ts";

export interface HistoryItem {
  meeting: Meeting;
  /** The person hosts or co-hosts it (and so may download its records). */
  hosted: boolean;
  startedAt: string | null;
  endedAt: string | null;
  durationSeconds: number | null;
  participantCount: number;
  /** More sessions than peopleCount reads: the count is a lower bound. */
  participantCountCapped: boolean;
}

export interface HistoryPage {
  items: HistoryItem[];
  /** Cursor of the next (older) page, or null. */
  next: string | null;
  /** Cursor of the previous (newer) page, or null. */
  prev: string | null;
}

export const HISTORY_PER_PAGE = 25;
const ULID_RE = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** Cursors are "o." (older than) or "n." (newer than) and a meeting record id. */
function parseCursor(cursor: string): { dir: "older" | "newer"; id: string } {
  const m = /^([on])\.([0-9A-HJKMNP-TV-Z]{26})$/.exec(cursor);
  if (!m || !ULID_RE.test(m[2])) throw new InvalidCursor();
  return { dir: m[1] === "o" ? "older" : "newer", id: m[2] };
}

/**
 * One page of the meetings the person hosted or attended (each once), newest first by creation.
 * Reads at most 2 × (limit + 1) index entries, `limit` meetings and their attendance counts.
 * Throws InvalidCursor for a cursor it did not hand out.
 */
export async function meetingHistory(
  kv: Store,
  userId: string,
  opts: { cursor?: string; limit?: number } = {},
): Promise<HistoryPage> {
  const limit = Math.max(1, Math.min(opts.limit ?? HISTORY_PER_PAGE, 100));
  const cursor = opts.cursor ? parseCursor(opts.cursor) : null;
  let ids: string[];
  let hasNewer: boolean;
  let hasOlder: boolean;
  if (cursor?.dir === "newer") {
    const newer = await personMeetingIds(kv, userId, cursor.id, "newer", limit + 1);
    if (newer.length > limit) {
      ids = newer.slice(0, limit).reverse();
      hasNewer = true;
      hasOlder = true;
    } else {
      // Back at the newest meetings: show the real first page.
      const first = await personMeetingIds(kv, userId, null, "older", limit + 1);
      ids = first.slice(0, limit);
      hasNewer = false;
      hasOlder = first.length > limit;
    }
  } else {
    const older = await personMeetingIds(kv, userId, cursor?.id ?? null, "older", limit + 1);
    ids = older.slice(0, limit);
    hasOlder = older.length > limit;
    hasNewer = cursor !== null && ids.length > 0;
  }
  const meetings = await getMeetings(kv, ids);
  const items = await Promise.all(meetings.map(async (meeting) => {
    const role = roleOf(meeting, userId);
    const people = await peopleCount(kv, meeting);
    return {
      meeting,
      hosted: role === "host" || role === "cohost",
      startedAt: meeting.startedAt,
      endedAt: meeting.endedAt,
      durationSeconds: seconds(meeting.startedAt, meeting.endedAt),
      participantCount: people.count,
      participantCountCapped: people.capped,
    };
  }));
  return {
    items,
    next: hasOlder && ids.length ? `o.${ids.at(-1)}` : null,
    prev: hasNewer && ids.length ? `n.${ids[0]}` : null,
  };
}

/** "1 h 5 min", "12 min", "40 s". */
export function formatDuration(totalSeconds: number): string {
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  if (h) return `${h} h ${m} min`;
  if (m) return `${m} min`;
  return `${totalSeconds} s`;
}

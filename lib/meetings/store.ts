// Meetings: a 10-digit meeting ID, a passcode, a link token, settings, and who hosts it.
// The meetings capability's store module for meeting records and their number and host indexes.

import type { Store, StoreAtomic, StoreEntry, StoreSelector } from "../common/store.ts";
import { commitAtomic, KvConflict, updateRecord } from "../common/kv.ts";
import { newId, randomToken } from "../common/ids.ts";
import { attendanceKeys, meetingKeys } from "./keys.ts";

export type MeetingRole = "host" | "cohost" | "participant" | "guest";

export interface MeetingSettings {
  /** People without an account may join (with a name). */
  guestsAllowed: boolean;
  /** Joiners wait until a host admits them (guests always wait when this is on). */
  lobby: boolean;
  muteOnEntry: boolean;
  /** Who may share their screen. */
  screenShare: "everyone" | "hosts";
  /** No new joins while locked. */
  locked: boolean;
  /** With `lobby`: signed-in participants wait too (lib/meetings/settings.ts fills it for older records). */
  lobbyForAll?: boolean;
  /** Who may chat (default "everyone"). */
  chat?: "everyone" | "hosts" | "off";
  /** People a host muted may unmute themselves (default true). */
  allowUnmute?: boolean;
  /** Phones and SIP room systems may dial in (default true; lib/meetings/settings.ts fills it). */
  dialIn?: boolean;
  /** Who may start and stop recording (default "hosts": the host and co-hosts). */
  recording?: "hosts" | "everyone" | "off";
}

/** What a new meeting gets for every setting it was not given (all of them, so the API shows each one). */
export const DEFAULT_SETTINGS: Required<MeetingSettings> = {
  guestsAllowed: true,
  lobby: true,
  lobbyForAll: false,
  muteOnEntry: false,
  screenShare: "everyone",
  locked: false,
  chat: "everyone",
  allowUnmute: true,
  dialIn: true,
  recording: "hosts",
};

export interface Meeting {
  id: string;
  /** Ten digits, never starting with 0; shown as `123 456 7890`. */
  meetingId: string;
  title: string;
  hostId: string;
  coHostIds: string[];
  /** Six digits people type when joining by meeting ID. */
  passcode: string;
  /** Random token embedded in links (`/m/<meetingId>?pwd=<token>`) instead of the passcode itself. */
  linkToken: string;
  settings: MeetingSettings;
  status: "open" | "ended";
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
}

/** Formats a meeting ID for people: `123 456 7890`. */
export function formatMeetingId(meetingId: string): string {
  return `${meetingId.slice(0, 3)} ${meetingId.slice(3, 6)} ${meetingId.slice(6)}`;
}

/** Accepts what people type (`123 456 7890`, `123-456-7890`) and returns ten digits, or null. */
export function parseMeetingId(input: string): string | null {
  const digits = input.replace(/[\s-]/g, "");
  return /^[1-9]\d{9}$/.test(digits) ? digits : null;
}

function randomDigits(n: number, firstNonZero: boolean): string {
  const bytes = crypto.getRandomValues(new Uint32Array(n));
  let out = "";
  for (let i = 0; i < n; i++) {
    const d = bytes[i] % (i === 0 && firstNonZero ? 9 : 10);
    out += String(i === 0 && firstNonZero ? d + 1 : d);
  }
  return out;
}

/**
 * Creates a meeting with a fresh, unique meeting ID (atomic: the ID index is checked and set
 * together). `prepare` adds the caller's writes (e.g. a schedule) to the same commit, so a meeting
 * never exists without them.
 */
export async function createMeeting(
  kv: Store,
  input: { hostId: string; title?: string; settings?: Partial<MeetingSettings> },
  prepare?: (op: StoreAtomic, meeting: Meeting) => void,
): Promise<Meeting> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const meeting: Meeting = {
      id: newId(),
      meetingId: randomDigits(10, true),
      title: input.title?.trim() || "Instant meeting",
      hostId: input.hostId,
      coHostIds: [],
      passcode: randomDigits(6, false),
      linkToken: randomToken(18),
      settings: { ...DEFAULT_SETTINGS, ...input.settings },
      status: "open",
      createdAt: new Date().toISOString(),
      startedAt: null,
      endedAt: null,
    };
    const op = kv.atomic()
      .check({ key: meetingKeys.byNumber(meeting.meetingId), versionstamp: null })
      .set(meetingKeys.meeting(meeting.id), meeting)
      .set(meetingKeys.byNumber(meeting.meetingId), meeting.id)
      .set(meetingKeys.byHost(meeting.hostId, meeting.id), meeting.meetingId);
    prepare?.(op, meeting);
    if ((await commitAtomic(op)).ok) return meeting;
  }
  throw new KvConflict("could not find a free meeting ID");
}

/** The meeting record by its ULID, or null. */
export async function getMeeting(kv: Store, id: string): Promise<Meeting | null> {
  return (await kv.get<Meeting>(meetingKeys.meeting(id))).value;
}

/** The meeting record by its ULID with its versionstamp (for a checked change). */
export function getMeetingEntry(kv: Store, id: string): Promise<StoreEntry<Meeting>> {
  return kv.get<Meeting>(meetingKeys.meeting(id));
}

/** Meeting records by ULID in the ids' order (absent ones skipped), read ten keys at a time. */
export async function getMeetings(kv: Store, ids: readonly string[]): Promise<Meeting[]> {
  const out: Meeting[] = [];
  for (let i = 0; i < ids.length; i += 10) {
    const got = await kv.getMany<Meeting[]>(ids.slice(i, i + 10).map((id) => meetingKeys.meeting(id)));
    for (const e of got) if (e.value) out.push(e.value);
  }
  return out;
}

/** Adds "the meeting changed hosts" to a commit: the host index entry moves from `oldHost` to `m.hostId`. */
export function moveHostIndex(op: StoreAtomic, m: Meeting, oldHost: string): StoreAtomic {
  return op.delete(meetingKeys.byHost(oldHost, m.id)).set(meetingKeys.byHost(m.hostId, m.id), m.meetingId);
}

/**
 * Up to `n` meeting record ids a person hosts or attended (meetings_by_host, meetings_by_attendee),
 * past `from` in one direction, merged and deduplicated; the two index reads run at once.
 */
export async function personMeetingIds(
  kv: Store,
  userId: string,
  from: string | null,
  dir: "older" | "newer",
  n: number,
): Promise<string[]> {
  const prefixes = [meetingKeys.hostPrefix(userId), attendanceKeys.attendee(userId)];
  const lists = await Promise.all(prefixes.map(async (prefix) => {
    const selector: StoreSelector = from === null
      ? { prefix }
      : dir === "older"
      ? { prefix, end: [...prefix, from] }
      : { prefix, start: [...prefix, from, new Uint8Array()] };
    const ids: string[] = [];
    for await (const e of kv.list(selector, { reverse: dir === "older", limit: n, batchSize: n })) {
      ids.push(String(e.key[2]));
    }
    return ids;
  }));
  const merged = [...new Set([...lists[0], ...lists[1]])].sort();
  if (dir === "older") merged.reverse();
  return merged.slice(0, n);
}

/** The meeting record by its 10-digit meeting ID (through the number index), or null. */
export async function getMeetingByNumber(kv: Store, meetingId: string): Promise<Meeting | null> {
  const idx = await kv.get<string>(meetingKeys.byNumber(meetingId));
  if (!idx.value) return null;
  return (await kv.get<Meeting>(meetingKeys.meeting(idx.value))).value;
}

/** Applies a change to a meeting with a versionstamp check, retried on conflict. */
export async function updateMeeting(
  kv: Store,
  id: string,
  change: (m: Meeting) => Partial<Meeting>,
): Promise<Meeting | null> {
  return await updateRecord<Meeting>(
    kv,
    meetingKeys.meeting(id),
    `updateMeeting ${id}`,
    (m) => ({ ...m, ...change(m) }),
  );
}

/** The meeting role a signed-in person has in a meeting (guests have no account). */
export function roleOf(meeting: Meeting, userId: string | null): MeetingRole {
  if (!userId) return "guest";
  if (meeting.hostId === userId) return "host";
  if (meeting.coHostIds.includes(userId)) return "cohost";
  return "participant";
}

/** Lists the meetings a person hosts, newest first. */
export async function listHostedMeetings(kv: Store, hostId: string, limit = 50): Promise<Meeting[]> {
  const ids: string[] = [];
  for await (const e of kv.list({ prefix: meetingKeys.hostPrefix(hostId) }, { reverse: true, limit })) {
    ids.push(String(e.key[2]));
  }
  const entries = await Promise.all(ids.map((id) => kv.get<Meeting>(meetingKeys.meeting(id))));
  return entries.map((e) => e.value).filter((m): m is Meeting => m !== null);
}

// The telephony capability's store module: the only code that reads and writes its KV records
// (keys in lib/telephony/keys.ts) through the storage port: phone call records, the dial-in
// passcode guard's counters, and the one read `resolve` makes on every dial-in.

import type { Store, StoreAtomic, StoreEntry } from "../common/store.ts";
import { commitAtomic, commitOrThrow, KvConflict, updateRecord } from "../common/kv.ts";
import { EVENT_TTL_MS } from "../meetings/events.ts";
import { meetingKeys } from "../meetings/keys.ts";
import type { Meeting } from "../meetings/store.ts";
import { keys as accountKeys } from "../accounts/keys.ts";
import type { User } from "../accounts/users.ts";
import type { PhoneCall } from "./phone.ts";
import { callKeys, dialInKeys } from "./keys.ts";
import type { MeetingFailures, SourceFailures } from "./dial_in_guard.ts";

// ---- call records -----------------------------------------------------------------------------

export async function getCall(kv: Store, callId: string): Promise<PhoneCall | null> {
  return (await kv.get<PhoneCall>(callKeys.call(callId))).value;
}

/** Adds "store this call and its admission index" (kept as long as the meeting's messages) to a commit. */
export function writeCall(op: StoreAtomic, call: PhoneCall): StoreAtomic {
  return op
    .set(callKeys.call(call.callId), call, { expireIn: EVENT_TTL_MS })
    .set(callKeys.byAdmission(call.meetingId, call.admissionId), call.callId, { expireIn: EVENT_TTL_MS });
}

/** Stores a call and its admission index in one checked commit. */
export async function setCall(kv: Store, call: PhoneCall): Promise<void> {
  await commitOrThrow(writeCall(kv.atomic(), call), `setCall ${call.callId}`);
}

/**
 * Read-modify-write of a call under a versionstamp check, retried on conflict. `change` returning
 * null leaves it as it is. Null when there is no such call; throws KvConflict after 10 conflicts.
 */
export async function updateCall(
  kv: Store,
  callId: string,
  change: (c: PhoneCall) => PhoneCall | null,
): Promise<PhoneCall | null> {
  return await updateRecord<PhoneCall>(kv, callKeys.call(callId), `updateCall ${callId}`, change, {
    expireIn: EVENT_TTL_MS,
  });
}

/** The call behind a phone caller's admission, or null (not a caller). */
export async function callIdByAdmission(kv: Store, meetingId: string, admissionId: string): Promise<string | null> {
  return (await kv.get<string>(callKeys.byAdmission(meetingId, admissionId))).value;
}

// ---- dial-in: the one read of `resolve` -------------------------------------------------------

/**
 * Meeting numbers → record ULIDs this process has seen. The pair never changes while the meeting
 * exists (a number is only handed out when its index entry is absent, and the record is created in
 * the same commit), so a hit is verified by the record itself: a record that is gone or carries
 * another number means the entry is stale, and the index is read again. The host seen with it lets
 * the host's account (their language) be read in the same getMany; a host transfer since costs
 * one more read.
 */
const meetingIds = new WeakMap<Store, Map<string, { id: string; hostId: string }>>();
const MEETING_ID_CACHE_MAX = 10_000;

function idCache(kv: Store): Map<string, { id: string; hostId: string }> {
  let m = meetingIds.get(kv);
  if (!m) meetingIds.set(kv, m = new Map());
  return m;
}

export interface DialInRead {
  meeting: Meeting | null;
  /** The language the meeting's host chose for their account (not checked), or null. */
  hostLocale: string | null;
  source: StoreEntry<SourceFailures>;
  meetingFailures: StoreEntry<MeetingFailures>;
}

/**
 * What `resolve` needs for a dialled meeting number, in ONE getMany once this process has seen the
 * number (the meeting record, the source's and the meeting's failure counters, the host's account
 * for their language), three round trips the first time (the number index with the counters, the
 * record, the host).
 */
export async function readDialIn(kv: Store, meetingNumber: string, sourceIp: string): Promise<DialInRead> {
  const cache = idCache(kv);
  const seen = cache.get(meetingNumber);
  const first = seen ? meetingKeys.meeting(seen.id) : meetingKeys.byNumber(meetingNumber);
  const [head, meetingFailures, source, host] = await kv.getMany<[unknown, MeetingFailures, SourceFailures, User?]>([
    first,
    dialInKeys.meeting(meetingNumber),
    dialInKeys.source(sourceIp),
    ...(seen ? [accountKeys.user(seen.hostId)] as const : [] as const),
  ]);
  const counters = { meetingFailures, source };
  if (seen) {
    const m = head.value as Meeting | null;
    if (m && m.meetingId === meetingNumber) {
      const hostLocale = m.hostId === seen.hostId ? host?.value?.locale ?? null : await readHostLocale(kv, m);
      return { meeting: m, hostLocale, ...counters };
    }
    cache.delete(meetingNumber);
    const id = (await kv.get<string>(meetingKeys.byNumber(meetingNumber))).value;
    return { ...await readMeetingRecord(kv, id), ...counters };
  }
  const id = head.value as string | null;
  return { ...await readMeetingRecord(kv, id), ...counters };
}

async function readMeetingRecord(kv: Store, id: string | null) {
  const m = id ? (await kv.get<Meeting>(meetingKeys.meeting(id))).value : null;
  return { meeting: m, hostLocale: m ? await readHostLocale(kv, m) : null };
}

/** The host's language, read alone (a number not seen before, a host transfer); remembers the host. */
async function readHostLocale(kv: Store, m: Meeting): Promise<string | null> {
  const host = (await kv.get<User>(accountKeys.user(m.hostId))).value;
  const cache = idCache(kv);
  if (cache.size >= MEETING_ID_CACHE_MAX) cache.clear();
  cache.set(m.meetingId, { id: m.id, hostId: m.hostId });
  return host?.locale ?? null;
}

// ---- dial-in: the guard's counters ------------------------------------------------------------

/** Both counters again, with versionstamps (after a reservation lost a race). */
export async function readGuardCounters(
  kv: Store,
  meetingNumber: string,
  source: string,
): Promise<{ source: StoreEntry<SourceFailures>; meetingFailures: StoreEntry<MeetingFailures> }> {
  const [meetingFailures, sourceEntry] = await kv.getMany<[MeetingFailures, SourceFailures]>([
    dialInKeys.meeting(meetingNumber),
    dialInKeys.source(source),
  ]);
  return { source: sourceEntry, meetingFailures };
}

/**
 * Counts a wrong try against the source, only if its counter is still what was read (versionstamp
 * check). False when another try from the source got there first: read again and decide again.
 */
export async function reserveSourceTry(
  kv: Store,
  read: StoreEntry<SourceFailures>,
  next: SourceFailures,
  now: number,
): Promise<boolean> {
  const op = kv.atomic().check(read).set(read.key, next, { expireIn: Math.max(1, next.windowEndsAt - now) });
  return (await commitAtomic(op)).ok;
}

/**
 * True when the source's counter is still what was read: a commit of the check alone, so a right
 * passcode is answered only on the state its verdict was made on.
 */
export async function sourceUnchanged(kv: Store, read: StoreEntry<SourceFailures>): Promise<boolean> {
  return (await commitAtomic(kv.atomic().check(read))).ok;
}

/**
 * Counts one wrong passcode against a meeting (checked, retried; throws KvConflict after 10
 * conflicts). Returns the count before and after this commit: exactly one caller sees a threshold
 * crossed, so a notice tied to it goes out once per window.
 */
export async function countMeetingFailure(
  kv: Store,
  meetingNumber: string,
  next: (current: MeetingFailures | null) => MeetingFailures,
): Promise<{ before: number; after: MeetingFailures }> {
  const key = dialInKeys.meeting(meetingNumber);
  for (let attempt = 0; attempt < 10; attempt++) {
    const entry = await kv.get<MeetingFailures>(key);
    const now = Date.now();
    const after = next(entry.value);
    const before = after.failures - 1;
    const op = kv.atomic().check(entry).set(key, after, { expireIn: Math.max(1, after.windowEndsAt - now) });
    if ((await commitAtomic(op)).ok) return { before, after };
  }
  throw new KvConflict(`countMeetingFailure ${meetingNumber}`);
}

// Who may enter a meeting, and the admission that proves it: a KV record keyed by the hash of a
// random pass token that lives in a per-meeting HttpOnly cookie.
//
// Admission states: "waiting" (in the lobby), "admitted", "denied", "removed". Who waits is
// initialAdmissionState's rule; only "admitted" admissions open the meeting page, the full socket and
// media. Denied people are blocked from knocking for 10 minutes and removed people for good, by
// admission cookie, account, and (guests) IP address.

import type { Store } from "../common/store.ts";
import type { Meeting, MeetingRole } from "./store.ts";
import { roleOf } from "./store.ts";
import { reserveAttempt } from "../common/rate_limit.ts";
import { hashToken, newId, randomToken, timingSafeEqual } from "../common/ids.ts";
import type { FieldErrors } from "../common/errors.ts";
import { commitChange } from "./events.ts";
import { DENIED_RETRY_MS } from "../contracts/meeting_socket.ts";
import type { LobbyEntry } from "../contracts/meeting_socket.ts";
import { roomSettings } from "./settings.ts";
import { message } from "../i18n/message.ts";
import {
  getAdmission,
  getBlocks,
  getLobbyEntry,
  insertAdmission,
  writeAdmission as writeAdmissionRecord,
  writeLobbyEntry,
} from "./admissions.ts";
export { ADMISSION_TTL_MS, writeBlocks } from "./admissions.ts";

export type AdmissionState = "waiting" | "admitted" | "denied" | "removed";

export interface Admission {
  id: string;
  meetingId: string;
  userId: string | null;
  name: string;
  role: MeetingRole;
  state: AdmissionState;
  createdAt: string;
  admittedAt: string | null;
  /** The address the person joined from (guests' deny/remove blocks use it). */
  ip?: string;
  /** When a host denied it in the lobby. */
  deniedAt?: string | null;
  /** A phone caller's admission: the gateway's call id (nobody holds its pass token). */
  callId?: string;
}

/** A lobby entry as stored: what hosts see plus what the server needs to act on it. */
export interface LobbyRecord {
  entry: LobbyEntry;
  tokenHash: string;
  /** The lobby socket session that last said hello (its close may mean the person left). */
  connectionId: string | null;
}

/** The refusal for someone a host denied or removed, or null. Expired blocks (KV expiry is lazy) are ignored. */
export async function blockedRefusal(
  kv: Store,
  meetingId: string,
  who: { userId: string | null; ip: string; admissionToken?: string },
): Promise<JoinRefusal | null> {
  const now = new Date().toISOString();
  if (who.admissionToken && who.admissionToken.length <= 100) {
    const a = await getAdmission(kv, meetingId, await hashToken(who.admissionToken));
    if (a?.state === "removed") return removedRefusal();
    if (a?.state === "denied" && a.deniedAt) {
      const until = new Date(Date.parse(a.deniedAt) + DENIED_RETRY_MS).toISOString();
      if (until > now) return deniedRefusal(until);
    }
  }
  const { removed, denied } = await getBlocks(kv, meetingId, who);
  if (removed) return removedRefusal();
  if (denied?.until && denied.until > now) return deniedRefusal(denied.until);
  return null;
}

function removedRefusal(): JoinRefusal {
  return { kind: "removed", status: 403, message: "meetings.refusal.removed" };
}

function deniedRefusal(until: string): JoinRefusal {
  const minutes = Math.max(1, Math.ceil((Date.parse(until) - Date.now()) / 60_000));
  return { kind: "denied", status: 403, message: message("meetings.refusal.denied", { minutes }) };
}

/** Cookie holding the admission's pass token (one per meeting, so several meetings can be open). */
export function admissionCookie(meetingId: string): string {
  return `ts_mp_${meetingId}`;
}

/** Cookie holding a link token a person arrived with, so a guest can still enter their name. */
export function linkCookie(meetingId: string): string {
  return `ts_ml_${meetingId}`;
}

/** The rate-limit scope for wrong passcodes (subject `${meetingId}:${ip}`). */
export const PASSCODE_SCOPE = "meeting-passcode";

/**
 * The state a new admission starts in: hosts and co-hosts are admitted; others wait when the meeting
 * is locked, when they are guests and the lobby is on, or when the lobby is on for everyone.
 */
export function initialAdmissionState(meeting: Meeting, role: MeetingRole): AdmissionState {
  if (role === "host" || role === "cohost") return "admitted";
  const s = roomSettings(meeting);
  if (s.locked) return "waiting";
  if (s.lobby && (role === "guest" || s.lobbyForAll)) return "waiting";
  return "admitted";
}

/** The lobby entry hosts see for a waiting admission. */
export function lobbyEntryOf(a: Admission): LobbyEntry {
  const entry: LobbyEntry = { admissionId: a.id, name: a.name, signedIn: a.userId !== null, knockedAt: a.createdAt };
  if (a.callId) entry.phone = true;
  return entry;
}

/**
 * Puts a waiting admission on the lobby list and tells hosts (`lobby-knock`), in one commit; the
 * admission record is written too when `writeAdmission` is set. Idempotent for an entry already listed.
 */
export async function knock(
  kv: Store,
  a: Admission,
  tokenHash: string,
  connectionId: string | null,
  writeAdmission = false,
): Promise<void> {
  await commitChange(kv, a.meetingId, async () => {
    const current = await getLobbyEntry(kv, a.meetingId, a.id);
    if (current.value) {
      if (current.value.connectionId === connectionId) return null;
      const next = { ...current.value, connectionId };
      return { result: null, writes: (op) => writeLobbyEntry(op.check(current), a.meetingId, a.id, next) };
    }
    const entry = lobbyEntryOf(a);
    const rec: LobbyRecord = { entry, tokenHash, connectionId };
    return {
      event: { type: "lobby-knock", data: { entry, _audience: "moderators" } },
      result: null,
      writes: (op) => {
        writeLobbyEntry(op.check(current), a.meetingId, a.id, rec);
        if (writeAdmission) writeAdmissionRecord(op, tokenHash, a, true);
      },
    };
  });
}

/**
 * Stores an admission (expires after 24 h) and returns the pass token for the cookie; only the
 * token's hash is stored.
 */
export async function admit(
  kv: Store,
  meeting: Meeting,
  who: { userId: string | null; name: string; role: MeetingRole; ip?: string },
): Promise<{ token: string; admission: Admission }> {
  const token = randomToken(32);
  const tokenHash = await hashToken(token);
  const now = new Date().toISOString();
  const state = initialAdmissionState(meeting, who.role);
  const admission: Admission = {
    id: newId(),
    meetingId: meeting.meetingId,
    userId: who.userId,
    name: who.name,
    role: who.role,
    state,
    createdAt: now,
    admittedAt: state === "admitted" ? now : null,
    ip: who.ip,
    deniedAt: null,
  };
  // A waiting admission and its knock commit together, so hosts hear of everyone who waits.
  if (state === "waiting") {
    await knock(kv, admission, tokenHash, null, true);
    return { token, admission };
  }
  await insertAdmission(kv, tokenHash, admission);
  return { token, admission };
}

/**
 * The admission behind a pass token when it lets its holder in now: stored, for this meeting,
 * "admitted", and the meeting not ended. Null otherwise.
 */
export async function activeAdmission(
  kv: Store,
  meeting: Meeting,
  token: string | undefined,
): Promise<Admission | null> {
  const a = await currentAdmission(kv, meeting, token);
  return a?.state === "admitted" ? a : null;
}

/** The admission behind a pass token in any state while the meeting is open (null when none or ended). */
export async function currentAdmission(
  kv: Store,
  meeting: Meeting,
  token: string | undefined,
): Promise<Admission | null> {
  if (!token || token.length > 100 || meeting.status !== "open") return null;
  const a = await getAdmission(kv, meeting.meetingId, await hashToken(token));
  if (!a || a.meetingId !== meeting.meetingId) return null;
  return a;
}

/**
 * Why a join attempt was refused; routes turn each into a page (or problem details). Its message and
 * field messages are message keys with their values (lib/i18n/message.ts): pages say them in their
 * language, an API in English.
 */
export type JoinRefusal =
  | { kind: "ended"; status: 410; message: string }
  | { kind: "locked"; status: 403; message: string }
  | { kind: "denied"; status: 403; message: string }
  | { kind: "removed"; status: 403; message: string }
  | { kind: "sign-in"; status: 403; message: string }
  | { kind: "fields"; status: 422; message: string; fields: FieldErrors };

export interface JoinAttempt {
  meeting: Meeting;
  user: { id: string; name: string } | null;
  /** What the person typed, if anything. */
  passcode?: string;
  /** A link token from `?pwd=` or the link cookie. */
  linkToken?: string;
  /** Guests' display name (already validated by the route's schema). */
  name?: string;
  clientIp: string;
  /** The pass token of an earlier admission in this browser (a denied or removed one blocks). */
  admissionToken?: string;
}

export type JoinResult =
  | { ok: true; token: string; admission: Admission }
  | { ok: false; refusal: JoinRefusal };

/**
 * The refusal that applies before any passcode is asked for: the meeting ended, or is closed to
 * guests. Null when the person may try. (A locked meeting sends joiners to the lobby instead.)
 */
export function entryBlock(meeting: Meeting, userId: string | null): JoinRefusal | null {
  if (meeting.status === "ended") return { kind: "ended", status: 410, message: "meetings.refusal.ended" };
  const role = roleOf(meeting, userId);
  if (role === "host" || role === "cohost") return null;
  if (role === "guest" && !meeting.settings.guestsAllowed) {
    return { kind: "sign-in", status: 403, message: "meetings.refusal.signIn" };
  }
  return null;
}

/**
 * Applies the entry rules in order: ended, host/co-host (no passcode), guests allowed, denied or
 * removed (cookie, account, guest IP), guest name, rate limit (throws TooManyRequests), passcode or
 * link token. Success admits, or puts the person in the lobby (see initialAdmissionState).
 * Wrong passcodes count against `${meetingId}:${ip}` (10 per 15 minutes).
 */
export async function tryJoin(kv: Store, a: JoinAttempt): Promise<JoinResult> {
  const { meeting } = a;
  const blocked = entryBlock(meeting, a.user?.id ?? null);
  if (blocked) return { ok: false, refusal: blocked };
  const role = roleOf(meeting, a.user?.id ?? null);
  if (role === "host" || role === "cohost") {
    const { token, admission } = await admit(kv, meeting, { userId: a.user!.id, name: a.user!.name, role });
    return { ok: true, token, admission };
  }
  const block = await blockedRefusal(kv, meeting.meetingId, {
    userId: a.user?.id ?? null,
    ip: a.clientIp,
    admissionToken: a.admissionToken,
  });
  if (block) return { ok: false, refusal: block };
  const name = a.user ? a.user.name : (a.name ?? "").trim();
  if (!name) {
    return {
      ok: false,
      refusal: {
        kind: "fields",
        status: 422,
        message: "meetings.join.enterName",
        fields: { name: "meetings.join.enterName" },
      },
    };
  }
  const subject = `${meeting.meetingId}:${a.clientIp}`;
  // Reserved before the passcode is compared, so parallel guesses cannot overtake the limit; only a
  // wrong passcode keeps it (as its recorded failure).
  const attempt = await reserveAttempt(kv, PASSCODE_SCOPE, [subject]);
  const byLink = a.linkToken !== undefined && timingSafeEqual(a.linkToken, meeting.linkToken);
  const typed = (a.passcode ?? "").replace(/\s+/g, "");
  if (!byLink) {
    if (!typed) {
      await attempt.release();
      return {
        ok: false,
        refusal: {
          kind: "fields",
          status: 422,
          message: "meetings.join.enterPasscode",
          fields: { passcode: "meetings.join.enterPasscode" },
        },
      };
    }
    if (!timingSafeEqual(typed, meeting.passcode)) {
      return {
        ok: false,
        refusal: {
          kind: "fields",
          status: 422,
          message: "meetings.join.wrongPasscode",
          fields: { passcode: "meetings.join.wrongPasscode" },
        },
      };
    }
  }
  await attempt.release();
  const { token, admission } = await admit(kv, meeting, { userId: a.user?.id ?? null, name, role, ip: a.clientIp });
  return { ok: true, token, admission };
}

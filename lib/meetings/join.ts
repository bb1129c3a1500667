// Who may enter a meeting, and the admission that proves it: a KV record keyed by the hash of a
// random pass token that lives in a per-meeting HttpOnly cookie.
//
// Admission states: "waiting" (in the lobby), "admitted", "denied". For now everyone who passes the
// checks is admitted at once (initialAdmissionState); the lobby issue makes hosts decide on
// "waiting" ones, and only "admitted" admissions open the meeting page, socket and media.

import type { Meeting, MeetingRole } from "../db/meetings.ts";
import { roleOf } from "../db/meetings.ts";
import { commitOrThrow } from "../db/kv.ts";
import { assertNotLimited, recordFailure } from "../auth/rate_limit.ts";
import { hashToken, newId, randomToken, timingSafeEqual } from "../ids.ts";
import type { FieldErrors } from "../http/errors.ts";

export type AdmissionState = "waiting" | "admitted" | "denied";

export interface Admission {
  id: string;
  meetingId: string;
  userId: string | null;
  name: string;
  role: MeetingRole;
  state: AdmissionState;
  createdAt: string;
  admittedAt: string | null;
}

export const ADMISSION_TTL_MS = 24 * 60 * 60 * 1000;

export const admissionKeys = {
  admission: (meetingId: string, tokenHash: string) => ["meeting_admissions", meetingId, tokenHash] as const,
  meeting: (meetingId: string) => ["meeting_admissions", meetingId] as const,
};

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

/** The state a new admission starts in. Lobby enforcement (settings.lobby) comes with the lobby. */
export function initialAdmissionState(_meeting: Meeting, _role: MeetingRole): AdmissionState {
  return "admitted";
}

/**
 * Stores an admission (expires after 24 h) and returns the pass token for the cookie; only the
 * token's hash is stored.
 */
export async function admit(
  kv: Deno.Kv,
  meeting: Meeting,
  who: { userId: string | null; name: string; role: MeetingRole },
): Promise<{ token: string; admission: Admission }> {
  const token = randomToken(32);
  const key = admissionKeys.admission(meeting.meetingId, await hashToken(token));
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
  };
  await commitOrThrow(
    kv.atomic().check({ key, versionstamp: null }).set(key, admission, { expireIn: ADMISSION_TTL_MS }),
    "admit",
  );
  return { token, admission };
}

/**
 * The admission behind a pass token when it lets its holder in now: stored, for this meeting,
 * "admitted", and the meeting not ended. Null otherwise.
 */
export async function activeAdmission(
  kv: Deno.Kv,
  meeting: Meeting,
  token: string | undefined,
): Promise<Admission | null> {
  if (!token || token.length > 100 || meeting.status !== "open") return null;
  const entry = await kv.get<Admission>(admissionKeys.admission(meeting.meetingId, await hashToken(token)));
  const a = entry.value;
  if (!a || a.meetingId !== meeting.meetingId || a.state !== "admitted") return null;
  return a;
}

/** Why a join attempt was refused; routes turn each into a page (or problem details). */
export type JoinRefusal =
  | { kind: "ended"; status: 410; message: string }
  | { kind: "locked"; status: 403; message: string }
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
}

export type JoinResult =
  | { ok: true; token: string; admission: Admission }
  | { ok: false; refusal: JoinRefusal };

/**
 * The refusal that applies before any passcode is asked for: the meeting ended, is locked (hosts and
 * co-hosts still enter), or is closed to guests. Null when the person may try.
 */
export function entryBlock(meeting: Meeting, userId: string | null): JoinRefusal | null {
  if (meeting.status === "ended") return { kind: "ended", status: 410, message: "This meeting has ended." };
  const role = roleOf(meeting, userId);
  if (role === "host" || role === "cohost") return null;
  if (meeting.settings.locked) return { kind: "locked", status: 403, message: "The host has locked this meeting." };
  if (role === "guest" && !meeting.settings.guestsAllowed) {
    return {
      kind: "sign-in",
      status: 403,
      message: "This meeting is only for people with an account. Sign in to join.",
    };
  }
  return null;
}

/**
 * Applies the entry rules in order: ended, host/co-host (no passcode), locked, guests allowed,
 * guest name, rate limit (throws TooManyRequests), passcode or link token. Success admits.
 * Wrong passcodes count against `${meetingId}:${ip}` (10 per 15 minutes).
 */
export async function tryJoin(kv: Deno.Kv, a: JoinAttempt): Promise<JoinResult> {
  const { meeting } = a;
  const blocked = entryBlock(meeting, a.user?.id ?? null);
  if (blocked) return { ok: false, refusal: blocked };
  const role = roleOf(meeting, a.user?.id ?? null);
  if (role === "host" || role === "cohost") {
    const { token, admission } = await admit(kv, meeting, { userId: a.user!.id, name: a.user!.name, role });
    return { ok: true, token, admission };
  }
  const name = a.user ? a.user.name : (a.name ?? "").trim();
  if (!name) {
    return {
      ok: false,
      refusal: { kind: "fields", status: 422, message: "Enter your name", fields: { name: "Enter your name" } },
    };
  }
  const subject = `${meeting.meetingId}:${a.clientIp}`;
  await assertNotLimited(kv, PASSCODE_SCOPE, [subject]);
  const byLink = a.linkToken !== undefined && timingSafeEqual(a.linkToken, meeting.linkToken);
  const typed = (a.passcode ?? "").replace(/\s+/g, "");
  if (!byLink) {
    if (!typed) {
      return {
        ok: false,
        refusal: {
          kind: "fields",
          status: 422,
          message: "Enter the passcode",
          fields: { passcode: "Enter the meeting passcode" },
        },
      };
    }
    if (!timingSafeEqual(typed, meeting.passcode)) {
      await recordFailure(kv, PASSCODE_SCOPE, [subject]);
      return {
        ok: false,
        refusal: {
          kind: "fields",
          status: 422,
          message: "Wrong passcode",
          fields: { passcode: "That passcode is not right for this meeting. Check the invitation and try again." },
        },
      };
    }
  }
  const { token, admission } = await admit(kv, meeting, { userId: a.user?.id ?? null, name, role });
  return { ok: true, token, admission };
}

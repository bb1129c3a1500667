// Who may watch a recording besides its meeting's hosts: the meeting's signed-in participants once
// the host shares it with them, and anyone with a share link (expiring, optionally with a passcode).
// Everyone else is told the recording does not exist (NotFound, never Forbidden).
//
// A link's token is shown once and stored only as its SHA-256; a passcode only as the SHA-256 of
// "<link id>:<passcode>", compared in constant time, with wrong tries counted per link and address
// like other login forms (lib/common/rate_limit.ts).

import type { Store } from "../common/store.ts";
import { Conflict, NotFound, ValidationError } from "../common/errors.ts";
import { hashToken, newId, randomToken, timingSafeEqual } from "../common/ids.ts";
import { ADDRESS_RULE, AUTH_RULE, reserveAttempt } from "../common/rate_limit.ts";
import { addAuditEntry } from "../accounts/audit.ts";
import { attended } from "../meetings/attendance.ts";
import type { Meeting } from "../meetings/store.ts";
import { type Actor, mayManage, type Recording } from "./service.ts";
import { createLink, deleteLink, getLink, getRecording, listLinks, type ShareLink, updateRecording } from "./store.ts";

export type { ShareLink } from "./store.ts";

/** What a viewer may do with a recording: everything (hosts), or watch and download only. */
export type RecordingAccess = "manage" | "watch";

/**
 * The recording with what `userId` may do with it: its owner and the meeting's hosts and co-hosts
 * manage it; the meeting's signed-in participants watch it once it is shared with them. NotFound
 * for everyone else (and for an unknown id).
 */
export async function recordingAccess(
  kv: Store,
  id: string,
  userId: string,
  meetingOf: (r: Recording) => Promise<Meeting | null>,
): Promise<{ recording: Recording; access: RecordingAccess }> {
  const rec = await getRecording(kv, id);
  if (!rec) throw new NotFound("recordings.error.notFound");
  if (rec.ownerId === userId) return { recording: rec, access: "manage" };
  const meeting = await meetingOf(rec);
  if (meeting && mayManage(meeting, userId)) return { recording: rec, access: "manage" };
  if (rec.sharedWithParticipants && rec.state === "ready" && await attended(kv, userId, rec.meetingRecordId)) {
    return { recording: rec, access: "watch" };
  }
  throw new NotFound("recordings.error.notFound");
}

/** Shares the recording with the meeting's participants, or stops sharing it; audited with the change. */
export async function shareWithParticipants(kv: Store, rec: Recording, on: boolean, actor: Actor): Promise<Recording> {
  const next = await updateRecording(kv, rec.id, (r, op) => {
    if (!!r.sharedWithParticipants === on) return null;
    addAuditEntry(op, {
      actorId: actor.userId,
      actorEmail: actor.email,
      action: on ? "recording.shared" : "recording.unshared",
      targetId: r.id,
      targetEmail: "",
      details: { recordingId: r.id, meetingId: r.meetingId, with: "participants" },
    });
    return { ...r, sharedWithParticipants: on };
  });
  return next ?? rec;
}

/** The lifetimes a link may have, in days. */
export const LINK_DAYS = [1, 7, 30] as const;

const PASSCODE_MIN = 4;
const PASSCODE_MAX = 64;

/** Rate-limit scope of wrong share-link passcodes (subjects: the link, and link + address). */
export const SHARE_PASSCODE_SCOPE = "recording-share-passcode";

function passcodeHash(linkId: string, passcode: string): Promise<string> {
  return hashToken(`${linkId}:${passcode}`);
}

/**
 * Makes a share link that works for `days` (1, 7 or 30), never beyond the recording's retention,
 * optionally with a passcode. Returns the link and its token (shown once, never stored). Invalid
 * (with fields) for a bad lifetime or passcode; Conflict before the recording is ready or once it
 * has the most links.
 */
export async function createShareLink(
  kv: Store,
  rec: Recording,
  input: { days: number; passcode: string },
  actor: Actor,
): Promise<{ link: ShareLink; token: string }> {
  const fields: Record<string, string> = {};
  if (!(LINK_DAYS as readonly number[]).includes(input.days)) fields.days = "recordings.share.badDays";
  const passcode = input.passcode.trim();
  if (passcode && (passcode.length < PASSCODE_MIN || passcode.length > PASSCODE_MAX)) {
    fields.passcode = "recordings.share.badPasscode";
  }
  if (Object.keys(fields).length) throw new ValidationError(fields, "recordings.share.needsAttention");
  if (rec.state !== "ready") throw new Conflict("recordings.share.notReady");
  const now = Date.now();
  let ends = now + input.days * 86_400_000;
  if (rec.expiresAt) ends = Math.min(ends, Date.parse(rec.expiresAt));
  const token = randomToken(24);
  const id = newId();
  const link: ShareLink = {
    id,
    recordingId: rec.id,
    tokenHash: await hashToken(token),
    passcodeHash: passcode ? await passcodeHash(id, passcode) : null,
    expiresAt: new Date(ends).toISOString(),
    createdAt: new Date(now).toISOString(),
    createdBy: actor.userId,
  };
  if (!(await createLink(kv, link))) throw new Conflict("recordings.share.tooMany");
  return { link, token };
}

/** The recording's live links (for its page). */
export function shareLinks(kv: Store, rec: Recording): Promise<ShareLink[]> {
  return listLinks(kv, rec.id);
}

/** Revokes one of the recording's links; NotFound when it has no such (live) link. */
export async function revokeShareLink(kv: Store, rec: Recording, linkId: string): Promise<void> {
  const link = (await listLinks(kv, rec.id)).find((l) => l.id === linkId);
  if (!link) throw new NotFound("recordings.error.noLink");
  await deleteLink(kv, link);
}

/**
 * What a share link opens: the link and its ready recording. NotFound for an unknown, revoked or
 * expired token, and for a recording that is gone or not ready.
 */
export async function openShareLink(kv: Store, token: string): Promise<{ link: ShareLink; recording: Recording }> {
  const link = token.length >= 16 && token.length <= 64 ? await getLink(kv, await hashToken(token)) : null;
  const rec = link ? await getRecording(kv, link.recordingId) : null;
  if (!link || !rec || rec.state !== "ready") throw new NotFound("recordings.error.noLink");
  return { link, recording: rec };
}

/**
 * Checks a link's passcode. Each try is counted first (per link and address, and per link from
 * everywhere, so many addresses cannot guess one link's passcode either) and a right one is given
 * back; too many throw TooManyRequests. Invalid (field `passcode`) when it is wrong or missing.
 */
export async function checkSharePasscode(kv: Store, link: ShareLink, passcode: string, clientIp: string) {
  if (!link.passcodeHash) return;
  const typed = passcode.trim();
  if (!typed) throw new ValidationError({ passcode: "recordings.watch.enterPasscode" }, "recordings.watch.locked");
  const attempt = await reserveAttempt(
    kv,
    SHARE_PASSCODE_SCOPE,
    [
      { subject: `${link.id}:${clientIp}`, rule: AUTH_RULE },
      { subject: link.id, rule: ADDRESS_RULE },
    ],
    AUTH_RULE,
    "recordings.watch.tooMany",
  );
  if (!timingSafeEqual(await passcodeHash(link.id, typed), link.passcodeHash)) {
    throw new ValidationError({ passcode: "recordings.watch.wrongPasscode" }, "recordings.watch.locked");
  }
  await attempt.release();
}

/**
 * The value a browser keeps (a cookie) once it gave a link's right passcode: derived from the
 * token, which is never stored, so the stored records alone cannot make it.
 */
export function unlockValue(token: string, link: ShareLink): Promise<string> {
  return hashToken(`unlocked:${token}:${link.passcodeHash ?? ""}`);
}

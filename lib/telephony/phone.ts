// Phone participants (dial-in and dial-out through the gateway, docs/sip-integration.md): the web
// side of a call. A call has a record keyed by the gateway's callId; its caller gets an admission
// like a guest (so the lobby applies) and, once in, a participant of kind "phone" that has no socket:
// it is present while the call lasts (no reconnect grace) and leaves when the gateway says BYE.
// Also the calls the web makes to the gateway for callers and for browsers' audio in the bridge.

import type { Store, StoreAtomic } from "../common/store.ts";
import { commitChange } from "../meetings/events.ts";
import { changeParticipant, toView } from "../meetings/participants.ts";
import type { Participant } from "../meetings/participants.ts";
import { initialAdmissionState, knock } from "../meetings/join.ts";
import type { Admission } from "../meetings/join.ts";
import { leaveLobby } from "../meetings/lobby.ts";
import { openAttendance, writeAttendance } from "../meetings/attendance.ts";
import { roomSettings } from "../meetings/settings.ts";
import { maskNumber } from "../contracts/meeting_socket.ts";
import type { Actor, DialOutStatus } from "../contracts/meeting_socket.ts";
import { getMeetingByNumber, parseMeetingId, updateMeeting } from "../meetings/store.ts";
import type { Meeting } from "../meetings/store.ts";
import type { Config } from "../common/config.ts";
import type { MediaGateway } from "../contracts/gateway_api.ts";
import { hashToken, newId, randomToken, timingSafeEqual } from "../common/ids.ts";
import { logger } from "../common/log.ts";
import { getAdmission, putAdmission, writeAdmission } from "../meetings/admissions.ts";
import { getParticipant } from "../meetings/participants.ts";
import { addAuditEntry } from "../accounts/audit.ts";
import { callIdByAdmission, getCall, setCall, updateCall, writeCall } from "./store.ts";
import { KvConflict } from "../common/kv.ts";
import { countMeetingFailure, readDialIn, readGuardCounters, reserveSourceTry, sourceUnchanged } from "./store.ts";
import { counted, DIAL_IN_RULES, type DialInRules, reserved, verdict } from "./dial_in_guard.ts";
import { isLocale } from "../i18n/locales.ts";

const log = logger("phone");

/** `sip:<meetingId>@SIP_DOMAIN` (PUBLIC_URL's host by default), or "" with SIP_DOMAIN=off. */
export function sipUriOf(config: Config, meetingId: string): string {
  const domain = config.sipDomain;
  return domain ? `sip:${meetingId}@${domain}` : "";
}

// ---- records ----------------------------------------------------------------------------------

export interface PhoneCall {
  callId: string;
  meetingId: string;
  /** "in": dialled in; "out": a host called them (admitted directly once answered). */
  direction: "in" | "out";
  state: "dialing" | "waiting" | "admitted" | "ended";
  name: string;
  /** Masked number (or a SIP URI's user) as the gateway sent it / as others see it. */
  number: string;
  participantId: string;
  admissionId: string;
  /** Key of the admission (nobody holds the token). */
  tokenHash: string;
  createdAt: string;
  /** Dial-out: who called, and the target as shown to hosts. */
  dialOut?: { by: Actor; target: string };
}

export { getCall } from "./store.ts";

// ---- the gateway's call API -------------------------------------------------------------------

/** What the web asks of the gateway for calls and for browsers' audio in the SIP bridge. */
export interface CallGateway {
  admitCall(callId: string): Promise<void>;
  muteCall(callId: string, muted: boolean): Promise<void>;
  hangupCall(callId: string): Promise<void>;
  dialOut(meetingId: string, body: { target: string; displayName: string }): Promise<{ callId: string }>;
  putPublisher(meetingId: string, feedId: number, body: { audioMid: string }): Promise<void>;
  deletePublisher(meetingId: string, feedId: number): Promise<void>;
}

/** The call API of the gateway (MediaGateway, lib/contracts/gateway_api.ts); null without a gateway. */
export function callGateway(gateway: MediaGateway | null): CallGateway | null {
  if (!gateway) return null;
  return {
    admitCall: (callId) => gateway.admitCall(callId),
    muteCall: (callId, muted) => gateway.muteCall(callId, muted),
    hangupCall: (callId) => gateway.hangupCall(callId),
    dialOut: (meetingId, body) => gateway.dialOut(meetingId, body),
    putPublisher: (meetingId, feedId, body) => gateway.setPublisher(meetingId, feedId, body.audioMid),
    deletePublisher: (meetingId, feedId) => gateway.removePublisher(meetingId, feedId),
  };
}

/** Runs a gateway call, logging (not throwing) a failure. True when it went through. */
async function bestEffort(what: string, ctx: Record<string, unknown>, run: () => Promise<unknown>): Promise<boolean> {
  try {
    await run();
    return true;
  } catch (err) {
    log.warn(`${what} failed`, { ...ctx, error: String(err) });
    return false;
  }
}

// ---- resolve: may this caller enter? ----------------------------------------------------------

export type Answer = { status: number; body: Record<string, unknown> | null };

const refusal = (status: number, error: string, extra: Record<string, unknown> = {}): Answer => ({
  status,
  body: { error, ...extra },
});

/** Refusals that apply to a meeting before any passcode: not found, ended, dial-in off, locked. */
function meetingRefusal(meeting: Meeting | null, lockedRefuses = true): Answer | null {
  if (!meeting) return refusal(404, "not-found");
  if (meeting.status === "ended") return refusal(410, "ended");
  // A meeting closed to guests is closed to callers (they have no account).
  if (!roomSettings(meeting).dialIn || !meeting.settings.guestsAllowed) return refusal(403, "dial-in-disabled");
  if (lockedRefuses && meeting.settings.locked) return refusal(486, "locked");
  return null;
}

/**
 * An answer about a found meeting names the language its phone menu speaks: the host's account
 * language; none when they chose none or there is no meeting (the gateway then speaks its
 * SIP_LANGUAGE).
 */
function spokenIn(a: Answer, hostLocale: string | null): Answer {
  return a.body && isLocale(hostLocale) ? { ...a, body: { ...a.body, locale: hostLocale } } : a;
}

/** What `resolveDialIn` depends on besides the store (tests inject the rules and the clock). */
export interface ResolveOptions {
  rules?: DialInRules;
  now?: () => number;
}

/**
 * The `resolve` answer: the meeting exists and is open, dial-in is allowed, it is not locked, and the
 * passcode is right (a missing one is asked for). Wrong passcodes are counted per source address and
 * per meeting (lib/telephony/dial_in_guard.ts): a source with failures waits longer and longer
 * between tries (429 `slow-down` with `retryAfterMs`, the try not evaluated) and is refused after its
 * cap (429 `rate-limited`); a meeting with many failures only takes the free tries away from sources
 * that failed, so the right passcode from a clean source always gets in. No answer to a try goes out
 * before a commit checked against the counter its verdict was made on (a wrong passcode's failure,
 * or the check alone for a right one), so parallel tries never get more evaluations than the rules
 * allow. The meeting's hosts get a
 * `dial-in-guessing` notice (and an audit entry) when the meeting's count reaches the slowdown, once
 * per window.
 *
 * It is on the path of every dial-in (the gateway answers the INVITE after it), so it reads in ONE
 * getMany (meeting record and both counters) once this process knows the number's record id, and
 * one commit when a passcode is given (nothing is written for a right one: the commit only checks).
 */
export async function resolveDialIn(
  kv: Store,
  req: { meetingId: string; passcode: string | null; source: string },
  options: ResolveOptions = {},
): Promise<Answer> {
  const rules = options.rules ?? DIAL_IN_RULES;
  const clock = options.now ?? Date.now;
  const id = parseMeetingId(req.meetingId);
  if (!id) return refusal(404, "not-found");
  const read = await readDialIn(kv, id, req.source);
  const answer = (a: Answer) => spokenIn(a, read.hostLocale);
  const refused = meetingRefusal(read.meeting);
  if (refused) return answer(refused);
  const m = read.meeting!;
  let source = read.source;
  let meetingFailures = read.meetingFailures;
  const typed = (req.passcode ?? "").replace(/\s+/g, "");
  for (let attempt = 0;; attempt++) {
    const now = clock();
    const v = verdict(source.value, meetingFailures.value, rules, now);
    if (v.kind === "limited") return answer(refusal(429, "rate-limited", { retryAfterMs: v.retryAfterMs }));
    if (!typed) return answer(refusal(403, "bad-passcode", { passcodeRequired: true }));
    if (v.kind === "wait") return answer(refusal(429, "slow-down", { retryAfterMs: v.retryAfterMs }));
    // The answer goes out only if the source's counter is still what the verdict was made on: a wrong
    // passcode commits its failure under that check, a right one commits the check alone. A try that
    // loses the race decides again on what the winner left, so parallel tries are evaluated one after
    // another and never more than the rules allow (the issue-12 race).
    const right = timingSafeEqual(typed, m.passcode);
    const committed = right
      ? await sourceUnchanged(kv, source)
      : await reserveSourceTry(kv, source, reserved(source.value, rules, now), now);
    if (committed && right) {
      return answer({ status: 200, body: { meetingId: m.meetingId, title: m.title, passcodeRequired: true } });
    }
    if (committed) break;
    if (attempt >= 20) throw new KvConflict(`resolveDialIn ${id}`);
    ({ source, meetingFailures } = await readGuardCounters(kv, id, req.source));
  }
  const { before, after } = await countMeetingFailure(kv, id, (c) => counted(c, rules, clock()));
  log.info("wrong dial-in passcode", { meetingId: id, failures: after.failures });
  if (before < rules.meetingSlowdownAfter && after.failures >= rules.meetingSlowdownAfter) {
    await noticeGuessing(kv, m, after.failures, rules).catch((err) => {
      log.error("could not tell the hosts about passcode guessing", { meetingId: id, error: String(err) });
    });
  }
  return answer(refusal(403, "bad-passcode", { passcodeRequired: true }));
}

/**
 * Tells the meeting's hosts and co-hosts that its passcode is being guessed at (`dial-in-guessing`),
 * with an audit entry in the same commit. Called by the one try that reached the slowdown.
 */
async function noticeGuessing(kv: Store, m: Meeting, failures: number, rules: DialInRules): Promise<void> {
  const windowMinutes = Math.round(rules.windowMs / 60_000);
  await commitChange(kv, m.meetingId, () =>
    Promise.resolve({
      event: { type: "dial-in-guessing", data: { failures, windowMinutes, _audience: "moderators" } },
      result: null,
      writes: (op: StoreAtomic) =>
        void addAuditEntry(op, {
          actorId: "dial-in",
          actorEmail: "",
          action: "meeting.dial_in_guessing",
          targetId: m.id,
          targetEmail: "",
          details: { meetingId: m.meetingId, failures, windowMinutes },
        }),
    }));
  log.warn("dial-in passcode guessing", { meetingId: m.meetingId, failures });
}

// ---- a call starts, changes, ends -------------------------------------------------------------

/**
 * `POST /internal/sip/calls`: an admission (role guest) for the caller, waiting in the lobby when
 * the lobby rules say so, else a participant at once. Idempotent per callId; a call a host dialled
 * out is admitted directly.
 */
export async function startCall(
  kv: Store,
  gateway: MediaGateway | null,
  req: { meetingId: string; callId: string; displayName: string; number: string },
): Promise<Answer> {
  const existing = await getCall(kv, req.callId);
  if (existing && existing.meetingId !== req.meetingId) return refusal(409, "call-id-in-use");
  if (existing?.state === "ended") return refusal(410, "ended");
  if (existing && existing.state !== "dialing") {
    return { status: 201, body: { participantId: existing.participantId, state: existing.state } };
  }
  const id = parseMeetingId(req.meetingId);
  const meeting = id ? await getMeetingByNumber(kv, id) : null;
  if (existing) {
    // A dial-out the far end answered: in directly (the host called them).
    if (!meeting || meeting.status === "ended") return refusal(meeting ? 410 : 404, meeting ? "ended" : "not-found");
    const joined = await joinCall(kv, gateway, meeting, existing, false);
    return { status: 201, body: { participantId: joined.participantId, state: "admitted" } };
  }
  // Locked since `resolve`: the caller waits in the lobby like anyone joining a locked meeting.
  const refused = meetingRefusal(meeting, false);
  if (refused) return refused;
  const m = meeting!;
  const number = req.number.trim().slice(0, 60);
  const name = req.displayName.trim().slice(0, 60) || number || "Phone caller";
  const token = randomToken(32);
  const tokenHash = await hashToken(token);
  const now = new Date().toISOString();
  const state = initialAdmissionState(m, "guest");
  const admission: Admission = {
    id: newId(),
    meetingId: m.meetingId,
    userId: null,
    name,
    role: "guest",
    state,
    createdAt: now,
    admittedAt: state === "admitted" ? now : null,
    deniedAt: null,
    callId: req.callId,
  };
  const call: PhoneCall = {
    callId: req.callId,
    meetingId: m.meetingId,
    direction: "in",
    state: state === "waiting" ? "waiting" : "admitted",
    name,
    number,
    participantId: newId(),
    admissionId: admission.id,
    tokenHash,
    createdAt: now,
  };
  // The call is findable before hosts can see the knock (an admit needs it).
  await setCall(kv, call);
  if (state === "waiting") {
    await knock(kv, admission, tokenHash, connectionOf(call.callId), true);
    log.info("caller waits in the lobby", { meetingId: m.meetingId, callId: call.callId });
    return { status: 201, body: { participantId: call.participantId, state: "waiting" } };
  }
  await putAdmission(kv, tokenHash, admission);
  await joinCall(kv, gateway, m, call, false);
  return { status: 201, body: { participantId: call.participantId, state: "admitted" } };
}

/** The lobby "socket" a waiting caller holds (so only their own hang-up takes them off the list). */
function connectionOf(callId: string): string {
  return `call:${callId}`;
}

/**
 * Makes the caller a present participant (kind phone, role guest) with `participant-joined` and an
 * attendance session in one commit. Hosts' "mute on entry" mutes callers at the gateway too.
 * `admitAtGateway`: a caller who waited is taken off hold (the gateway's admit).
 */
export async function joinCall(
  kv: Store,
  gateway: MediaGateway | null,
  meeting: Meeting,
  call: PhoneCall,
  admitAtGateway: boolean,
): Promise<Participant> {
  const now = new Date().toISOString();
  const muted = roomSettings(meeting).muteOnEntry;
  const adm = await getAdmission(kv, meeting.meetingId, call.tokenHash);
  const done = await changeParticipant(kv, meeting.meetingId, call.participantId, (p) => {
    if (p) return null;
    const next: Participant = {
      participantId: call.participantId,
      meetingId: meeting.meetingId,
      admissionId: call.admissionId,
      userId: null,
      name: call.name,
      role: "guest",
      joinedAt: now,
      leftAt: null,
      state: { audio: !muted, video: false, screen: false, speaking: false },
      feedId: null,
      connected: true,
      connectionId: connectionOf(call.callId),
      admissionHash: call.tokenHash,
      attendanceId: newId(),
      mids: {},
      mutedByHost: muted,
      videoStoppedByHost: false,
      handRaisedAt: null,
      kind: "phone",
      callId: call.callId,
    };
    return {
      next,
      event: { type: "participant-joined", data: { participant: toView(next) } },
      writes: (op) => {
        openAttendance(op, meeting.id, next);
        writeCall(op, { ...call, state: "admitted" });
        // A dial-out's admission is written here (admitted); a lobby's was admitted by the host.
        if (!adm) {
          const a: Admission = {
            id: call.admissionId,
            meetingId: meeting.meetingId,
            userId: null,
            name: call.name,
            role: "guest",
            state: "admitted",
            createdAt: now,
            admittedAt: now,
            deniedAt: null,
            callId: call.callId,
          };
          writeAdmission(op, call.tokenHash, a);
        }
      },
    };
  });
  const participant = done?.participant ??
    (await getParticipant(kv, meeting.meetingId, call.participantId))!;
  if (!done) return participant;
  log.info("caller joined", { meetingId: meeting.meetingId, callId: call.callId, direction: call.direction });
  if (!meeting.startedAt) await updateMeeting(kv, meeting.id, (m) => ({ startedAt: m.startedAt ?? now }));
  const calls = callGateway(gateway);
  if (calls && admitAtGateway) {
    const ok = await bestEffort("admitting the caller", { callId: call.callId }, () => calls.admitCall(call.callId));
    // The gateway could not take them off hold (they hung up meanwhile): they are not here.
    if (!ok) {
      await endCall(kv, call.callId, "admit failed");
      return participant;
    }
  }
  if (calls && muted) {
    await bestEffort("muting the caller", { callId: call.callId }, () => calls.muteCall(call.callId, true));
  }
  return participant;
}

/**
 * `POST /internal/sip/calls/{callId}/state`: speaking, self-mute and a room system's camera (its
 * video is a VideoRoom feed shown on the caller's tile) as `participant-updated`. False: unknown call.
 */
export async function callState(
  kv: Store,
  callId: string,
  change: { speaking?: boolean; muted?: boolean; video?: boolean },
): Promise<boolean> {
  const call = await getCall(kv, callId);
  if (!call) return false;
  if (call.state !== "admitted") return true;
  await changeParticipant(kv, call.meetingId, call.participantId, (p) => {
    if (!p || p.leftAt !== null || p.callId !== callId) return null;
    const state = { ...p.state };
    if (change.speaking !== undefined) state.speaking = change.speaking;
    if (change.muted !== undefined) state.audio = !change.muted;
    if (change.video !== undefined) state.video = change.video;
    const next: Participant = { ...p, state };
    if (JSON.stringify(toView(next)) === JSON.stringify(toView(p))) return null;
    return { next, event: { type: "participant-updated", data: { participant: toView(next) } } };
  });
  return true;
}

/**
 * `DELETE /internal/sip/calls/{callId}` (BYE either way): a waiting caller leaves the lobby
 * (`lobby-left` gone), a present one the meeting (`participant-left`, attendance closed; quietly
 * after the meeting ended). Idempotent. False: unknown call.
 */
export async function endCall(kv: Store, callId: string, reason: string): Promise<boolean> {
  const before = await getCall(kv, callId);
  if (!before) return false;
  const call = await updateCall(kv, callId, (c) => (c.state === "ended" ? null : { ...c, state: "ended" }));
  if (!call || before.state === "ended") return true;
  if (before.state === "waiting") {
    await leaveLobby(kv, call.meetingId, call.admissionId, connectionOf(callId));
  } else if (before.state === "admitted") {
    const meeting = await getMeetingByNumber(kv, call.meetingId);
    await changeParticipant(kv, call.meetingId, call.participantId, (p) => {
      if (!p || p.leftAt !== null) return null;
      const next: Participant = {
        ...p,
        leftAt: new Date().toISOString(),
        connected: false,
        connectionId: null,
        handRaisedAt: null,
        state: { ...p.state, speaking: false },
      };
      const writes = (op: StoreAtomic) => writeAttendance(op, next, next.leftAt);
      if (!meeting || meeting.status === "ended") return { next, writes };
      return {
        next,
        writes,
        event: { type: "participant-left", data: { participantId: p.participantId, name: p.name } },
      };
    });
  }
  log.info("call ended", { meetingId: call.meetingId, callId, reason: reason.slice(0, 100) });
  return true;
}

// ---- the lobby and moderation -----------------------------------------------------------------

/** After a host admitted or denied `admissionId`: for a caller, join them (gateway admit) or hang up. */
export async function phoneLobbyDecided(
  kv: Store,
  gateway: MediaGateway | null,
  meeting: Meeting,
  admissionId: string,
  outcome: "admitted" | "denied",
): Promise<void> {
  const callId = await callIdByAdmission(kv, meeting.meetingId, admissionId);
  if (!callId) return;
  const call = await getCall(kv, callId);
  if (!call || call.state !== "waiting") return;
  if (outcome === "admitted") {
    await joinCall(kv, gateway, meeting, call, true);
    return;
  }
  await updateCall(kv, callId, (c) => (c.state === "ended" ? null : { ...c, state: "ended" }));
  const calls = callGateway(gateway);
  if (calls) await bestEffort("hanging up a denied caller", { callId }, () => calls.hangupCall(callId));
}

/** A host muted or unmuted a caller: the gateway mutes them in the AudioBridge. */
export async function muteCaller(gateway: MediaGateway | null, p: Participant, muted: boolean): Promise<void> {
  const calls = callGateway(gateway);
  if (!calls || !p.callId) return;
  await bestEffort("muting a caller", { callId: p.callId }, () => calls.muteCall(p.callId!, muted));
}

/** A host removed a caller: the call ends (BYE); the removal itself is already committed. */
export async function hangUpRemoved(kv: Store, gateway: MediaGateway | null, p: Participant): Promise<void> {
  if (!p.callId) return;
  await updateCall(kv, p.callId, (c) => (c.state === "ended" ? null : { ...c, state: "ended" }));
  const calls = callGateway(gateway);
  if (calls) await bestEffort("hanging up a removed caller", { callId: p.callId }, () => calls.hangupCall(p.callId!));
}

// ---- dial-out ---------------------------------------------------------------------------------

/** How a dial-out target is shown to hosts: numbers masked, SIP URIs as typed. */
export function displayTarget(target: string): string {
  return target.startsWith("+") ? maskNumber(target) : target;
}

/**
 * A host calls someone: the gateway places the call (202 {callId}); hosts get `dial-out-status`
 * "calling", and the progress the gateway reports later. Throws the gateway's error when it refused.
 */
export async function startDialOut(
  kv: Store,
  calls: CallGateway,
  meeting: Meeting,
  req: { target: string; name: string; by: Actor },
): Promise<PhoneCall> {
  const shown = displayTarget(req.target);
  const name = req.name || maskNumber(req.target);
  const { callId } = await calls.dialOut(meeting.meetingId, { target: req.target, displayName: name });
  if (typeof callId !== "string" || !callId) throw new Error("the gateway answered dial-out without a callId");
  const call: PhoneCall = {
    callId,
    meetingId: meeting.meetingId,
    direction: "out",
    state: "dialing",
    name,
    number: shown,
    participantId: newId(),
    admissionId: newId(),
    tokenHash: await hashToken(randomToken(32)),
    createdAt: new Date().toISOString(),
    dialOut: { by: req.by, target: shown },
  };
  // The call and hosts' "calling" in one commit: the gateway may report progress right away.
  await dialOutStatus(kv, call, "calling", undefined, true);
  log.info("dialling out", { meetingId: meeting.meetingId, callId });
  return call;
}

async function dialOutStatus(
  kv: Store,
  call: PhoneCall,
  status: DialOutStatus["status"],
  reason?: string,
  storeCall = false,
) {
  const data: DialOutStatus = {
    callId: call.callId,
    status,
    target: call.dialOut?.target ?? call.number,
    name: call.name,
    by: call.dialOut?.by ?? { participantId: "", name: "" },
  };
  if (reason) data.reason = reason.slice(0, 200);
  await commitChange(kv, call.meetingId, () =>
    Promise.resolve({
      event: { type: "dial-out-status", data: { ...data, _audience: "moderators" } },
      result: null,
      writes: storeCall ? (op: StoreAtomic) => void writeCall(op, call) : undefined,
    }));
}

/**
 * `POST /internal/sip/calls/{callId}/progress`: `dial-out-status` to hosts; "answered" joins the
 * callee (admitted directly); busy / no-answer / failed end the call. False: not a dial-out we know.
 */
export async function callProgress(
  kv: Store,
  gateway: MediaGateway | null,
  callId: string,
  progress: { status: "ringing" | "answered" | "busy" | "no-answer" | "failed"; reason?: string },
): Promise<boolean> {
  const call = await getCall(kv, callId);
  if (!call || call.direction !== "out") return false;
  await dialOutStatus(kv, call, progress.status, progress.reason);
  if (progress.status === "answered" && call.state === "dialing") {
    const meeting = await getMeetingByNumber(kv, call.meetingId);
    if (meeting && meeting.status === "open") await joinCall(kv, gateway, meeting, call, false);
  } else if (progress.status !== "ringing" && progress.status !== "answered") {
    await updateCall(kv, callId, (c) => (c.state === "dialing" ? { ...c, state: "ended" } : null));
  }
  return true;
}

// ---- browsers' audio in the bridge ------------------------------------------------------------

/**
 * Tells the gateway which browser publishers' audio to forward into the SIP bridge after a
 * participant's feedId or audio mid changed (`after` null: they left). Best effort: failures are
 * logged, and the next change sends the current state again.
 */
export async function syncPublisher(
  gateway: MediaGateway | null,
  meetingId: string,
  before: Pick<Participant, "feedId" | "mids"> | null,
  after: Pick<Participant, "feedId" | "mids"> | null,
): Promise<void> {
  const calls = callGateway(gateway);
  if (!calls) return;
  const oldFeed = before?.feedId ?? null;
  const oldMid = before?.mids?.audio ?? null;
  const newFeed = after?.feedId ?? null;
  const newMid = after?.mids?.audio ?? null;
  const ctx = { meetingId };
  if (oldFeed !== null && (oldFeed !== newFeed || (oldMid && !newMid))) {
    await bestEffort(
      "dropping a publisher from the bridge",
      { ...ctx, feedId: oldFeed },
      () => calls.deletePublisher(meetingId, oldFeed),
    );
  }
  if (newFeed !== null && newMid && (newFeed !== oldFeed || newMid !== oldMid)) {
    await bestEffort(
      "adding a publisher to the bridge",
      { ...ctx, feedId: newFeed },
      () => calls.putPublisher(meetingId, newFeed, { audioMid: newMid }),
    );
  }
}

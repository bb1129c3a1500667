// What people do in a meeting besides presence: host controls (lobby decisions, muting, removal,
// roles, settings), hands, reactions and chat. Every action reads the sender's participant record
// and checks its current role here, on the server; a refusal throws ActionRefused (a user error, a
// room.refused.* message key with its values) before anything is written. Each change commits
// together with its meeting message.

import type { Store, StoreAtomic } from "../common/store.ts";
import { commitChange } from "./events.ts";
import {
  changeParticipant,
  getParticipant,
  getParticipantEntry,
  listPresent,
  toView,
  writeParticipant,
} from "./participants.ts";
import type { Participant } from "./participants.ts";
import { getAdmissionEntry, writeAdmission, writeBlocks } from "./admissions.ts";
import { decideLobby, listLobby } from "./lobby.ts";
import { sendChat } from "./chat.ts";
import { writeAttendance } from "./attendance.ts";
import { endMeeting } from "./lifecycle.ts";
import { isModerator, roomSettings } from "./settings.ts";
import type { Audience } from "./audience.ts";
import { DIAL_OUT_TARGET, MAX_CHAT_CHARS, MAX_NAME_CHARS } from "../contracts/meeting_socket.ts";
import {
  callGateway,
  hangUpRemoved,
  muteCaller,
  phoneLobbyDecided,
  startDialOut,
  syncPublisher,
} from "../telephony/phone.ts";
import type {
  Actor,
  ClientMessage,
  ModerationCause,
  StateMessage,
  UserErrorCode,
} from "../contracts/meeting_socket.ts";
import type { Meeting } from "./store.ts";
import { getMeetingEntry, moveHostIndex } from "./store.ts";
import type { MediaGateway } from "../contracts/gateway_api.ts";
import { logger } from "../common/log.ts";
import { DomainError } from "../common/errors.ts";
import { getUser } from "../accounts/users.ts";
import { startRecording, stopRecording } from "../recordings/service.ts";
import { message, type MessageValues, readMessage } from "../i18n/message.ts";
import type { MessageKey } from "../i18n/client.ts";

const log = logger("controls");

/**
 * A user error: the action is not allowed; nothing was applied. Its message is a message key with
 * its values (lib/i18n/message.ts): the person's client says it in their language, the protocol's
 * `message` and the logs in English.
 */
export class ActionRefused extends Error {
  constructor(readonly code: UserErrorCode, key: MessageKey, values?: MessageValues) {
    super(message(key, values));
    this.name = "ActionRefused";
  }
}

export interface ActionContext {
  kv: Store;
  gateway: MediaGateway | null;
  meeting: Meeting;
  /** Days a finished recording is kept (RECORDING_RETENTION_DAYS). */
  recordingRetentionDays?: number;
  /** Runs best-effort background work (gateway bookkeeping) without holding up the socket. */
  track?: (work: Promise<unknown>) => void;
}

export type Action = Exclude<ClientMessage, { type: "hello" | "ping" | "state" }>;

const forbidden = (key: MessageKey) => new ActionRefused("forbidden", key);
const notHere = () => new ActionRefused("not-found", "room.refused.personGone");
const invalid = (key: MessageKey) => new ActionRefused("invalid", key);

function actor(p: Participant): Actor {
  return { participantId: p.participantId, name: p.name };
}

/**
 * Applies one action for `senderId`, after checking the sender's current role (and, for actions on
 * someone, that a co-host does not act on the host). Throws ActionRefused when not allowed.
 */
export async function applyAction(ctx: ActionContext, senderId: string, msg: Action): Promise<void> {
  const { kv, meeting } = ctx;
  const meetingId = meeting.meetingId;
  const me = await getParticipant(kv, meetingId, senderId);
  if (!me || me.leftAt !== null) throw new ActionRefused("not-found", "room.refused.youAreGone");
  const mod = isModerator(me.role);
  const by = actor(me);
  const present = async (id: string) => {
    const p = await getParticipant(kv, meetingId, id);
    if (!p || p.leftAt !== null) throw notHere();
    return p;
  };
  /** Moderators on someone: co-hosts cannot act on the host. */
  const onSomeone = async (id: string, refusal: MessageKey) => {
    if (!mod) throw forbidden(refusal);
    const t = await present(id);
    if (t.role === "host" && me.role !== "host") throw forbidden("room.refused.notOnHost");
    return t;
  };

  switch (msg.type) {
    case "lobby-admit":
    case "lobby-deny": {
      if (!mod) throw forbidden("room.refused.admit");
      const outcome = msg.type === "lobby-admit" ? "admitted" : "denied";
      const ok = await decideLobby(kv, meetingId, msg.admissionId, outcome, by);
      if (!ok) throw new ActionRefused("not-found", "room.refused.notWaiting");
      await phoneLobbyDecided(kv, ctx.gateway, meeting, msg.admissionId, outcome);
      return;
    }
    case "lobby-admit-all":
    case "lobby-deny-all": {
      if (!mod) throw forbidden("room.refused.admit");
      const outcome = msg.type === "lobby-admit-all" ? "admitted" : "denied";
      for (const e of await listLobby(kv, meetingId)) {
        if (await decideLobby(kv, meetingId, e.admissionId, outcome, by)) {
          await phoneLobbyDecided(kv, ctx.gateway, meeting, e.admissionId, outcome);
        }
      }
      return;
    }
    case "record": {
      if (!me.userId) throw forbidden("room.refused.recordSignIn");
      const user = await getUser(kv, me.userId);
      const recording = { kv, engine: ctx.gateway, retentionDays: ctx.recordingRetentionDays };
      const who = { userId: me.userId, email: user?.email ?? "" };
      try {
        if (msg.on) await startRecording(recording, meeting, who);
        else await stopRecording(recording, meeting, who);
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        const code = ({ forbidden: "forbidden", conflict: "conflict", unavailable: "unavailable" } as const)[
          err.kind as "forbidden" | "conflict" | "unavailable"
        ];
        // The recording rules speak in room.refused.* keys too (lib/recordings/service.ts).
        const said = readMessage(err.message);
        if (!code || !said) throw err;
        throw new ActionRefused(code, said.key, said.values);
      }
      return;
    }
    case "end-meeting": {
      if (!mod) throw forbidden("room.refused.end");
      await endMeeting(kv, meeting, ctx.gateway);
      return;
    }
    case "mute": {
      const t = await onSomeone(msg.participantId, "room.refused.mute");
      await moderate(ctx, t.participantId, "audio", true, by);
      return;
    }
    case "unmute": {
      const t = await onSomeone(msg.participantId, "room.refused.unmute");
      if (t.kind !== "phone") throw invalid("room.refused.unmuteCallersOnly");
      await moderate(ctx, t.participantId, "audio", false, by);
      return;
    }
    case "stop-video": {
      const t = await onSomeone(msg.participantId, "room.refused.stopVideo");
      if (t.kind === "phone") throw invalid("room.refused.callerNoVideo");
      await moderate(ctx, t.participantId, "video", true, by);
      return;
    }
    case "dial-out": {
      if (!mod) throw forbidden("room.refused.dialOut");
      const target = msg.target.trim();
      const name = msg.name.trim();
      if (!DIAL_OUT_TARGET.test(target)) throw invalid("room.refused.dialTarget");
      if (name.length > MAX_NAME_CHARS) throw invalid("room.nameTooLong");
      const calls = callGateway(ctx.gateway);
      if (!calls) throw new ActionRefused("unavailable", "room.refused.noDialOut");
      try {
        await startDialOut(kv, calls, meeting, { target, name, by });
      } catch (err) {
        log.error("dial-out failed", { meetingId, error: String(err) });
        throw new ActionRefused("unavailable", "room.refused.dialFailed");
      }
      return;
    }
    case "mute-all": {
      if (!mod) throw forbidden("room.refused.muteAll");
      await changeSettings(ctx, { allowUnmute: msg.allowUnmute }, by);
      for (const p of await listPresent(kv, meetingId)) {
        if (!isModerator(p.role) && !p.mutedByHost) await moderate(ctx, p.participantId, "audio", true, by);
      }
      return;
    }
    case "ask-unmute": {
      const t = await onSomeone(msg.participantId, "room.refused.askUnmute");
      if (t.kind === "phone") throw invalid("room.refused.callerCannotAnswer");
      const media = msg.media ?? "audio";
      await changeParticipant(kv, meetingId, t.participantId, (p) => {
        if (!p || p.leftAt !== null) return null;
        const next: Participant = { ...p, unmuteRequested: { ...p.unmuteRequested, [media]: true } };
        const audience: Audience = { participantId: p.participantId, moderators: true };
        return {
          next,
          event: { type: "unmute-requested", data: { participantId: p.participantId, media, by, _audience: audience } },
        };
      });
      return;
    }
    case "remove": {
      const t = await onSomeone(msg.participantId, "room.refused.remove");
      if (t.participantId === me.participantId) throw invalid("room.refused.removeSelf");
      await removeParticipant(ctx, t.participantId, by);
      return;
    }
    case "set-role": {
      if (me.role !== "host") throw forbidden("room.refused.makeCohosts");
      const t = await present(msg.participantId);
      if (t.role === "host") throw invalid("room.refused.alreadyHost");
      if (!t.userId) throw invalid("room.refused.cohostAccount");
      await setRoles(ctx, [[t, msg.role]], null, by);
      return;
    }
    case "transfer-host": {
      if (me.role !== "host") throw forbidden("room.refused.handOver");
      const t = await present(msg.participantId);
      if (t.participantId === me.participantId) throw invalid("room.refused.youAreHost");
      if (!t.userId) throw invalid("room.refused.hostAccount");
      if (!me.userId) throw new Error("a host without an account");
      await setRoles(ctx, [[t, "host"], [me, "cohost"]], t.userId, by);
      return;
    }
    case "rename": {
      const self = msg.participantId === me.participantId;
      const t = self ? me : await onSomeone(msg.participantId, "room.refused.rename");
      await changeParticipant(kv, meetingId, t.participantId, (p) => {
        if (!p || p.leftAt !== null || p.name === msg.name) return null;
        const next: Participant = { ...p, name: msg.name };
        return {
          next,
          event: { type: "participant-updated", data: { participant: toView(next), cause: "renamed", by } },
          writes: (op) => writeAttendance(op, next, null),
        };
      });
      return;
    }
    case "settings": {
      if (!mod) throw forbidden("room.refused.settings");
      const { type: _, ...change } = msg;
      await changeSettings(ctx, change, by);
      return;
    }
    case "raise-hand":
    case "lower-hand": {
      const id = msg.type === "lower-hand" && msg.participantId ? msg.participantId : me.participantId;
      const self = id === me.participantId;
      if (!self && !mod) throw forbidden("room.refused.lowerHand");
      if (!self) await present(id);
      await setHand(ctx, id, msg.type === "raise-hand", self ? undefined : by);
      return;
    }
    case "lower-all-hands": {
      if (!mod) throw forbidden("room.refused.lowerAllHands");
      for (const p of await listPresent(kv, meetingId)) {
        if (p.handRaisedAt) await setHand(ctx, p.participantId, false, by);
      }
      return;
    }
    case "react": {
      await commitChange(kv, meetingId, () =>
        Promise.resolve({
          event: { type: "reaction", data: { participantId: me.participantId, emoji: msg.emoji } },
          result: null,
        }));
      return;
    }
    case "chat": {
      const text = msg.text;
      if (!text.trim()) throw invalid("room.refused.chatEmpty");
      if (text.length > MAX_CHAT_CHARS) throw new ActionRefused("chat-too-long", "room.messageTooLong");
      let to: Participant | null = null;
      if (msg.to !== undefined) {
        if (msg.to === me.participantId) throw invalid("room.refused.chatSelf");
        to = await present(msg.to);
        if (to.kind === "phone") throw invalid("room.refused.chatCaller");
      }
      const policy = roomSettings(meeting).chat;
      if (!mod && policy === "off") throw new ActionRefused("chat-off", "room.refused.chatOff");
      if (!mod && policy === "hosts" && !(to && isModerator(to.role))) {
        throw new ActionRefused("chat-off", "room.refused.chatHosts");
      }
      await sendChat(kv, meetingId, me, to, text);
      return;
    }
  }
}

async function setHand(ctx: ActionContext, participantId: string, raised: boolean, by?: Actor) {
  await changeParticipant(ctx.kv, ctx.meeting.meetingId, participantId, (p) => {
    if (!p || p.leftAt !== null || Boolean(p.handRaisedAt) === raised) return null;
    const next: Participant = { ...p, handRaisedAt: raised ? new Date().toISOString() : null };
    const data: Record<string, unknown> = { participant: toView(next) };
    if (by) Object.assign(data, { cause: "hand-lowered", by });
    return { next, event: { type: "participant-updated", data } };
  });
}

/** Sets or lifts a host mute (audio) or video stop, then applies it at the SFU when the mid is known. */
async function moderate(ctx: ActionContext, participantId: string, media: "audio" | "video", on: boolean, by: Actor) {
  const flag = media === "audio" ? "mutedByHost" : "videoStoppedByHost";
  const cause: ModerationCause = media === "audio"
    ? (on ? "muted" : "unmuted")
    : (on ? "video-stopped" : "video-allowed");
  const done = await changeParticipant(ctx.kv, ctx.meeting.meetingId, participantId, (p) => {
    if (!p || p.leftAt !== null || Boolean(p[flag]) === on) return null;
    const next: Participant = {
      ...p,
      [flag]: on,
      // A caller a host unmutes is heard again at once (they have no microphone button to press).
      state: on ? { ...p.state, [media]: false } : p.kind === "phone" ? { ...p.state, audio: true } : p.state,
      unmuteRequested: { ...p.unmuteRequested, [media]: false },
    };
    return { next, event: { type: "participant-updated", data: { participant: toView(next), cause, by } } };
  });
  if (!done) return;
  if (done.participant.kind === "phone") await muteCaller(ctx.gateway, done.participant, on);
  else await sfu(ctx.gateway, ctx.meeting.meetingId, done.participant, media, on);
}

/** Applies a mute at the SFU on the participant's current mid for `media` (no mid: nothing published yet). */
async function sfu(
  gateway: MediaGateway | null,
  meetingId: string,
  p: Participant,
  media: "audio" | "video",
  mute: boolean,
) {
  const mid = p.mids?.[media];
  if (!gateway || !mid) return;
  try {
    await gateway.moderate(meetingId, {
      participantId: p.participantId,
      mid,
      ...(media === "audio" ? { muteAudio: mute } : { muteVideo: mute }),
    });
  } catch (err) {
    // The flag stays set and is applied again on the next reported mids.
    log.error("moderation at the SFU failed", { meetingId, participantId: p.participantId, error: String(err) });
  }
}

/**
 * Re-applies host moderation at the SFU after a state change: a host mute on newly reported mids
 * (republishing), and the lift when the person was allowed to unmute.
 */
export async function reapplyModeration(
  gateway: MediaGateway | null,
  meetingId: string,
  before: Participant,
  after: Participant,
) {
  for (const media of ["audio", "video"] as const) {
    const flag = media === "audio" ? "mutedByHost" : "videoStoppedByHost";
    const midChanged = before.mids?.[media] !== after.mids?.[media];
    if (after[flag] && midChanged) await sfu(gateway, meetingId, after, media, true);
    if (before[flag] && !after[flag]) await sfu(gateway, meetingId, after, media, false);
  }
}

/**
 * A participant's own state change, checked against host moderation: unmuting (or starting video)
 * after a host mute needs `allowUnmute` or a host's request. Returns the refusal (a message key), or
 * the records before and after (null after when nothing changed).
 */
export async function stateChange(
  kv: Store,
  meeting: Meeting,
  participantId: string,
  connectionId: string,
  msg: StateMessage,
): Promise<{ refused?: MessageKey; before: Participant; after: Participant | null }> {
  const allowUnmute = roomSettings(meeting).allowUnmute;
  let refused: MessageKey | undefined;
  let before: Participant | null = null;
  const done = await changeParticipant(kv, meeting.meetingId, participantId, (p) => {
    refused = undefined;
    before = p;
    if (!p || p.connectionId !== connectionId || p.leftAt !== null) return null;
    const next: Participant = { ...p, state: { audio: msg.audio, video: msg.video, screen: msg.screen } };
    if (msg.feedId !== undefined) next.feedId = msg.feedId;
    if (msg.mids) next.mids = msg.mids;
    let cause: ModerationCause | undefined;
    for (const media of ["audio", "video"] as const) {
      const flag = media === "audio" ? "mutedByHost" : "videoStoppedByHost";
      if (!msg[media] || !p[flag]) continue;
      if (!allowUnmute && !p.unmuteRequested?.[media]) {
        refused = media === "audio" ? "room.refused.hostMuted" : "room.refused.hostStoppedVideo";
        return null;
      }
      next[flag] = false;
      next.unmuteRequested = { ...next.unmuteRequested, [media]: false };
      cause = media === "audio" ? "unmuted" : "video-allowed";
    }
    const visible = JSON.stringify(toView(p)) !== JSON.stringify(toView(next));
    const midsChanged = JSON.stringify(p.mids ?? {}) !== JSON.stringify(next.mids ?? {});
    if (!visible && !midsChanged) return null;
    if (!visible) return { next };
    const data: Record<string, unknown> = { participant: toView(next) };
    if (cause) data.cause = cause;
    return { next, event: { type: "participant-updated", data } };
  });
  return { refused, before: before!, after: done?.participant ?? null };
}

/** Changes live settings (one `settings-changed` with the result; nothing when nothing changes). */
async function changeSettings(ctx: ActionContext, change: Partial<Meeting["settings"]>, by: Actor) {
  await commitChange(ctx.kv, ctx.meeting.meetingId, async () => {
    const entry = await getMeetingEntry(ctx.kv, ctx.meeting.id);
    if (!entry.value) return null;
    const next: Meeting = { ...entry.value, settings: { ...entry.value.settings, ...change } };
    const settings = roomSettings(next);
    if (JSON.stringify(settings) === JSON.stringify(roomSettings(entry.value))) return null;
    return {
      event: { type: "settings-changed", data: { settings, by } },
      result: null,
      writes: (op) => op.check(entry).set(entry.key, next),
    };
  });
}

/**
 * Removes a participant: their record is closed (with attendance), the admission becomes "removed"
 * and the account / guest IP is blocked, all in the commit carrying `participant-left`; then the
 * gateway revokes their Janus token and kicks their feed.
 */
async function removeParticipant(ctx: ActionContext, participantId: string, by: Actor) {
  const { kv, meeting } = ctx;
  const meetingId = meeting.meetingId;
  const done = await commitChange(kv, meetingId, async () => {
    const entry = await getParticipantEntry(kv, meetingId, participantId);
    const p = entry.value;
    if (!p || p.leftAt !== null) return null;
    const tokenHash = p.admissionHash;
    const adm = tokenHash ? await getAdmissionEntry(kv, meetingId, tokenHash) : null;
    const now = new Date();
    const next: Participant = { ...p, leftAt: now.toISOString(), connected: false, connectionId: null };
    return {
      event: { type: "participant-left", data: { participantId, name: p.name, removed: true, by } },
      result: next,
      writes: (op) => {
        writeParticipant(op.check(entry), next);
        writeAttendance(op, next, next.leftAt);
        if (tokenHash && adm?.value) {
          writeAdmission(op.check(adm), tokenHash, { ...adm.value, state: "removed" });
          writeBlocks(op, adm.value, "removed", now);
        }
      },
    };
  });
  if (!done) throw notHere();
  if (done.result.kind === "phone") {
    await hangUpRemoved(kv, ctx.gateway, done.result);
    return;
  }
  const dropped = syncPublisher(ctx.gateway, meetingId, done.result, null);
  if (ctx.track) ctx.track(dropped);
  else await dropped;
  if (ctx.gateway) {
    try {
      await ctx.gateway.removeParticipant(meetingId, participantId);
    } catch (err) {
      log.error("removing from the room failed", { meetingId, participantId, error: String(err) });
    }
  }
}

/**
 * Changes roles: the participant records, their admissions (so a reload keeps the role), and the
 * meeting's co-host list and host (`newHostUserId`) move together in one commit, with a
 * `participant-updated` for the first change; further changes follow as their own messages.
 */
async function setRoles(
  ctx: ActionContext,
  changes: [Participant, "host" | "cohost" | "participant"][],
  newHostUserId: string | null,
  by: Actor,
) {
  const { kv, meeting } = ctx;
  const meetingId = meeting.meetingId;
  const done = await commitChange(kv, meetingId, async () => {
    const mEntry = await getMeetingEntry(kv, meeting.id);
    if (!mEntry.value) return null;
    const m = { ...mEntry.value, coHostIds: [...mEntry.value.coHostIds] };
    const oldHost = m.hostId;
    const writes: ((op: StoreAtomic) => void)[] = [(op) => op.check(mEntry)];
    const updated: Participant[] = [];
    for (const [p0, role] of changes) {
      const entry = await getParticipantEntry(kv, meetingId, p0.participantId);
      const p = entry.value;
      if (!p || p.leftAt !== null) throw notHere();
      if (p.role === role) continue;
      const next: Participant = { ...p, role };
      updated.push(next);
      m.coHostIds = m.coHostIds.filter((id) => id !== p.userId);
      if (role === "cohost" && p.userId) m.coHostIds.push(p.userId);
      writes.push((op) => {
        writeParticipant(op.check(entry), next);
        writeAttendance(op, next, null);
      });
      if (p.admissionHash) {
        const tokenHash = p.admissionHash;
        const adm = await getAdmissionEntry(kv, meetingId, tokenHash);
        if (adm.value) {
          writes.push((op) => writeAdmission(op.check(adm), tokenHash, { ...adm.value!, role }));
        }
      }
    }
    if (updated.length === 0) return null;
    if (newHostUserId) {
      m.hostId = newHostUserId;
      writes.push((op) => moveHostIndex(op, m, oldHost));
    }
    writes.push((op) => op.set(mEntry.key, m));
    return {
      event: { type: "participant-updated", data: { participant: toView(updated[0]), cause: "role-changed", by } },
      result: updated,
      writes: (op) => writes.forEach((w) => w(op)),
    };
  });
  for (const p of done?.result.slice(1) ?? []) {
    await commitChange(kv, meetingId, () =>
      Promise.resolve({
        event: { type: "participant-updated", data: { participant: toView(p), cause: "role-changed", by } },
        result: null,
      }));
  }
}

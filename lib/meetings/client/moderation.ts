// Running a meeting, as the browser sees it: the room's settings (lock, chat policy, allow-unmute),
// the lobby's waiting list (hosts), the raised-hands queue, what hosts did to me (muted, video
// stopped, asked to unmute), and which controls a role may use. Pure state and reducers over the
// socket's messages; the controller keeps the result in signals. No DOM, no socket.

import type { Translate } from "../../i18n/client.ts";
import type {
  LobbyEntry,
  MeetingMessage,
  ParticipantRole,
  ParticipantView,
  RoomSettings,
  WelcomeMessage,
} from "../../contracts/meeting_socket.ts";
import type { Roster } from "./roster.ts";

/** Settings assumed until the first welcome says otherwise. */
export const DEFAULT_ROOM_SETTINGS: RoomSettings = {
  locked: false,
  lobby: true,
  lobbyForAll: false,
  chat: "everyone",
  allowUnmute: true,
  screenShare: "everyone",
  muteOnEntry: false,
  dialIn: true,
  recording: "hosts",
};

export function isHostRole(role: ParticipantRole | null | undefined): boolean {
  return role === "host" || role === "cohost";
}

/** The waiting list after a welcome (null for non-hosts) or a lobby message; same object when unchanged. */
export function applyLobby(lobby: readonly LobbyEntry[], msg: MeetingMessage): readonly LobbyEntry[] {
  if (msg.type === "lobby-knock") {
    const e = msg.data.entry;
    const rest = lobby.filter((x) => x.admissionId !== e.admissionId);
    return [...rest, e].sort((a, b) => a.knockedAt.localeCompare(b.knockedAt));
  }
  if (msg.type === "lobby-left") {
    if (!lobby.some((x) => x.admissionId === msg.data.admissionId)) return lobby;
    return lobby.filter((x) => x.admissionId !== msg.data.admissionId);
  }
  return lobby;
}

/** Raised hands, oldest first, from the roster's handRaisedAt. */
export function handQueue(roster: Roster): ParticipantView[] {
  return [...roster.values()]
    .filter((p) => p.handRaisedAt !== null && p.handRaisedAt !== undefined)
    .sort((a, b) => a.handRaisedAt!.localeCompare(b.handRaisedAt!) || a.participantId.localeCompare(b.participantId));
}

/** What the moderation messages mean for me: the notice to show and whether I must mute/stop video. */
export interface MyModeration {
  /** A host muted me: mute locally too (the SFU already stopped forwarding). */
  mute?: boolean;
  /** A host stopped my camera. */
  stopVideo?: boolean;
  /** A host asks me to unmute (or start my camera). */
  askedTo?: "audio" | "video";
  /** The notice for the person. */
  notice?: string;
  /** My name or role changed: the new view. */
  me?: ParticipantView;
}

/** Reads one meeting message for its effect on me (`me` is my participantId). */
export function myModeration(msg: MeetingMessage, me: string | null, t: Translate): MyModeration | null {
  if (!me) return null;
  if (msg.type === "participant-updated" && msg.data.participant.participantId === me) {
    const p = msg.data.participant;
    const by = msg.data.by?.name ?? t("room.theHost");
    // My own change (e.g. unmuting after a host mute) needs no notice.
    if (msg.data.by?.participantId === me) return { me: p };
    switch (msg.data.cause) {
      case "muted":
        return { mute: true, notice: t("room.modMuted", { by }), me: p };
      case "video-stopped":
        return { stopVideo: true, notice: t("room.modVideoStopped", { by }), me: p };
      case "unmuted":
        return { notice: t("room.modUnmuted", { by }), me: p };
      case "video-allowed":
        return { notice: t("room.modVideoAllowed", { by }), me: p };
      case "renamed":
        return { notice: t("room.modRenamed", { by, name: p.name }), me: p };
      case "role-changed":
        return {
          notice: t(
            p.role === "host"
              ? "room.modMadeHost"
              : p.role === "cohost"
              ? "room.modMadeCohost"
              : "room.modMadeParticipant",
            { by },
          ),
          me: p,
        };
      case "hand-lowered":
        return { notice: t("room.modHandLowered", { by }), me: p };
      default:
        return { me: p };
    }
  }
  if (msg.type === "unmute-requested" && msg.data.participantId === me) {
    return { askedTo: msg.data.media };
  }
  return null;
}

/** Whether I may unmute (or start my camera) myself right now. */
export function canUnmute(
  me: ParticipantView | undefined,
  settings: RoomSettings,
  role: ParticipantRole,
  media: "audio" | "video",
): boolean {
  if (!me || isHostRole(role)) return true;
  const held = media === "audio" ? me.mutedByHost : me.videoStoppedByHost;
  return !held || settings.allowUnmute;
}

/** The settings after a welcome or settings message. */
export function settingsFrom(current: RoomSettings, msg: WelcomeMessage | MeetingMessage): RoomSettings {
  if (msg.type === "welcome") return { ...DEFAULT_ROOM_SETTINGS, ...msg.settings };
  if (msg.type === "settings-changed") return { ...current, ...msg.data.settings };
  return current;
}

/** Whether I may write to everyone, and to whom privately, under the chat policy. */
export function chatAllowed(
  settings: RoomSettings,
  role: ParticipantRole,
  to: ParticipantView | null,
): { ok: true } | { ok: false; why: "room.chatOffWhy" | "room.chatHostsWhy" } {
  if (isHostRole(role)) return { ok: true };
  if (settings.chat === "off") return { ok: false, why: "room.chatOffWhy" };
  if (settings.chat === "hosts" && !(to && isHostRole(to.role))) return { ok: false, why: "room.chatHostsWhy" };
  return { ok: true };
}

/** A reaction floating over a tile: `key` is unique, it disappears after REACTION_SHOW_MS. */
export interface FloatingReaction {
  key: number;
  participantId: string;
  emoji: string;
  until: number;
}

export const REACTION_SHOW_MS = 4000;

/** Adds a reaction (keeping at most 30 on screen) and drops expired ones. */
export function addReaction(
  list: readonly FloatingReaction[],
  r: Omit<FloatingReaction, "until">,
  now: number,
): FloatingReaction[] {
  return [...list.filter((x) => x.until > now), { ...r, until: now + REACTION_SHOW_MS }].slice(-30);
}

export function expireReactions(list: readonly FloatingReaction[], now: number): readonly FloatingReaction[] {
  return list.some((x) => x.until <= now) ? list.filter((x) => x.until > now) : list;
}

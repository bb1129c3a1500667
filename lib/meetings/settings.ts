// A meeting's live settings as the meeting socket shows them, with defaults for records written
// before the lobby-for-all, chat and unmute settings existed.

import type { Meeting } from "../db/meetings.ts";
import type { RoomSettings } from "./protocol.ts";

/** The full live settings of a meeting (never undefined fields). */
export function roomSettings(meeting: Meeting): RoomSettings {
  const s = meeting.settings;
  return {
    locked: s.locked,
    lobby: s.lobby,
    lobbyForAll: s.lobbyForAll ?? false,
    chat: s.chat ?? "everyone",
    allowUnmute: s.allowUnmute ?? true,
    screenShare: s.screenShare,
    muteOnEntry: s.muteOnEntry,
    dialIn: s.dialIn ?? true,
  };
}

/** Hosts and co-hosts moderate; everyone else does not. */
export function isModerator(role: string): boolean {
  return role === "host" || role === "cohost";
}

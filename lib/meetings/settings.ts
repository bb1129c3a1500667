// A meeting's settings: the one schema every input of settings is checked with (instant and
// scheduled creation, the schedule forms, PATCH, hosts' changes in the meeting), and the live
// settings as the meeting socket shows them, with defaults for records written before the
// lobby-for-all, chat, unmute and dial-in settings existed.

import { z } from "zod";
import type { Meeting, MeetingSettings } from "./store.ts";
import type { RoomSettings } from "../contracts/meeting_socket.ts";

const yesNo = z.boolean({ error: "Use true or false" });

/**
 * Any subset of a meeting's settings, each with a message a person can act on; unknown names are
 * refused (a misspelt setting must not silently do nothing).
 */
export const meetingSettingsSchema = z.object({
  guestsAllowed: yesNo,
  lobby: yesNo,
  lobbyForAll: yesNo,
  muteOnEntry: yesNo,
  screenShare: z.enum(["everyone", "hosts"], { error: 'Use "everyone" or "hosts"' }),
  locked: yesNo,
  chat: z.enum(["everyone", "hosts", "off"], { error: 'Use "everyone", "hosts" or "off"' }),
  allowUnmute: yesNo,
  dialIn: yesNo,
  recording: z.enum(["hosts", "everyone", "off"], { error: 'Use "hosts", "everyone" or "off"' }),
}).partial().strict();

/** A change to some settings, as the schema above gives it. */
export type SettingsChange = z.infer<typeof meetingSettingsSchema>;

// The schema and the stored shape must name the same settings with the same values, both ways.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const _sameSettings: Same<Required<SettingsChange>, Required<MeetingSettings>> = true;
void _sameSettings;

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
    recording: s.recording ?? "hosts",
  };
}

/** Hosts and co-hosts moderate; everyone else does not. */
export function isModerator(role: string): boolean {
  return role === "host" || role === "cohost";
}

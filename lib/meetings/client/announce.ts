// What a screen reader is told as the meeting goes on (the island's polite live region): people
// joining and leaving, hands raised, chat messages from others. Alerts the page already shows with
// role="alert" (knocks, being muted by the host, prompts) are not repeated here.

import type { MeetingMessage } from "../../contracts/meeting_socket.ts";
import type { Roster } from "./roster.ts";
import type { Translate } from "../../i18n/client.ts";

/** Longest chat text read out; the rest is in the chat panel. */
const CHAT_SPOKEN_MAX = 200;

/** The sentence for `msg`, or null when there is nothing to say (own actions, replays, no change). */
export function announcementFor(
  msg: MeetingMessage,
  before: Roster,
  mine: string | null,
  t: Translate,
): string | null {
  switch (msg.type) {
    case "participant-joined": {
      const p = msg.data.participant;
      if (p.participantId === mine || before.has(p.participantId)) return null;
      return t("room.saidJoined", { name: p.name });
    }
    case "participant-left": {
      const p = before.get(msg.data.participantId);
      return p && p.participantId !== mine ? t("room.saidLeft", { name: p.name }) : null;
    }
    case "participant-updated": {
      const p = msg.data.participant;
      const was = before.get(p.participantId);
      if (p.participantId === mine || !was || was.handRaisedAt || !p.handRaisedAt) return null;
      return t("room.saidHand", { name: p.name });
    }
    case "chat": {
      const m = msg.data.message;
      if (m.from.participantId === mine) return null;
      const text = m.text.length > CHAT_SPOKEN_MAX ? `${m.text.slice(0, CHAT_SPOKEN_MAX)}…` : m.text;
      return t(m.to ? "room.saidPrivateMessage" : "room.saidMessage", { name: m.from.name, text });
    }
    default:
      return null;
  }
}

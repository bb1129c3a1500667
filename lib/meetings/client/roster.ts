// Who is in the meeting, as the browser sees it: the welcome's snapshot plus participant messages,
// applied idempotently (the server may replay messages the snapshot already covers).

import type { MeetingMessage, ParticipantView, WelcomeMessage } from "../../contracts/meeting_socket.ts";

/** Participants by participantId, in join order. */
export type Roster = ReadonlyMap<string, ParticipantView>;

/** The roster a welcome describes. */
export function rosterFromWelcome(welcome: WelcomeMessage): Roster {
  return sortRoster(new Map(welcome.participants.map((p) => [p.participantId, p])));
}

/** The roster after one meeting message; the same object when the message changes nothing. */
export function applyMeetingMessage(roster: Roster, msg: MeetingMessage): Roster {
  switch (msg.type) {
    case "participant-joined":
    case "participant-updated": {
      const p = msg.data.participant;
      const old = roster.get(p.participantId);
      if (old && sameView(old, p)) return roster;
      const next = new Map(roster);
      next.set(p.participantId, p);
      return old ? next : sortRoster(next);
    }
    case "participant-left": {
      if (!roster.has(msg.data.participantId)) return roster;
      const next = new Map(roster);
      next.delete(msg.data.participantId);
      return next;
    }
    default:
      return roster;
  }
}

/** A caller through the phone gateway (audio only, no socket). */
export function isPhone(p: ParticipantView | undefined): boolean {
  return p?.kind === "phone";
}

/** The participant publishing a VideoRoom feed, by the feedId they reported. */
export function participantByFeed(roster: Roster, feedId: number): ParticipantView | undefined {
  for (const p of roster.values()) if (p.feedId === feedId) return p;
  return undefined;
}

function sameView(a: ParticipantView, b: ParticipantView): boolean {
  return a.name === b.name && a.role === b.role && a.feedId === b.feedId && a.joinedAt === b.joinedAt &&
    a.kind === b.kind && a.state.speaking === b.state.speaking && a.state.audio === b.state.audio &&
    a.state.video === b.state.video && a.state.screen === b.state.screen &&
    a.mutedByHost === b.mutedByHost && a.videoStoppedByHost === b.videoStoppedByHost &&
    a.handRaisedAt === b.handRaisedAt;
}

function sortRoster(map: Map<string, ParticipantView>): Roster {
  return new Map(
    [...map.entries()].sort(([ia, a], [ib, b]) => a.joinedAt.localeCompare(b.joinedAt) || ia.localeCompare(ib)),
  );
}

// The meeting's details panel: its name and ID, who you are in it, whether it is locked, and for
// hosts and co-hosts the invitation to share and the meeting's records (chat transcript, attendance).

import type { MeetingController } from "../../lib/meetings/client/controller.ts";
import { InviteDetails } from "./Invite.tsx";
import { PanelHead } from "./buttons.tsx";

const ROLE_TEXT = { host: "the host", cohost: "a co-host", participant: "a participant", guest: "a guest" } as const;

export function InfoPanel({ room }: { room: MeetingController }) {
  const { meeting, me, invite } = room.props;
  const role = room.role.value;
  const moderator = room.isHost.value;
  return (
    <aside class="room-sidebar room-info" aria-label="Meeting details">
      <PanelHead
        title={room.t("room.meetingDetails")}
        panel="info"
        closeLabel={room.t("room.close", { panel: room.t("room.meetingDetails") })}
        onClose={() => room.togglePanel("info")}
      />
      <p class="room-info-title">{meeting.title}</p>
      <p class="room-info-me">
        You are {me.participantName}, {ROLE_TEXT[role] ?? "a participant"}.
      </p>
      {room.settings.value.locked && (
        <p class="room-info-locked" data-locked="true">
          The meeting is locked: new people wait until a host lets them in.
        </p>
      )}
      {invite ? <InviteDetails meeting={meeting} invite={invite} /> : (
        <p>
          Meeting ID <strong>{meeting.formattedId}</strong>. Ask a host for the invitation to bring someone in.
        </p>
      )}
      {moderator && (
        <nav class="room-info-records" aria-label="Meeting records">
          <a href={`/meetings/${meeting.meetingId}/transcript.txt`}>Chat transcript</a>
          <a href={`/meetings/${meeting.meetingId}/attendance.csv`}>Attendance (CSV)</a>
        </nav>
      )}
    </aside>
  );
}

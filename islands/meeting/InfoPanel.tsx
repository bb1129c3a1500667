// The meeting's details panel: its name and ID, who you are in it, whether it is locked, and for
// hosts and co-hosts the invitation to share and the meeting's records (chat transcript, attendance).

import type { MeetingController } from "../../lib/meetings/client/controller.ts";
import { InviteDetails } from "./Invite.tsx";
import { PanelHead } from "./buttons.tsx";

const ROLE_TEXT = {
  host: "room.infoRoleHost",
  cohost: "room.infoRoleCohost",
  participant: "room.infoRoleParticipant",
  guest: "room.infoRoleGuest",
} as const;

export function InfoPanel({ room }: { room: MeetingController }) {
  const { meeting, me, invite } = room.props;
  const role = room.role.value;
  const moderator = room.isHost.value;
  return (
    <aside class="room-sidebar room-info" aria-label={room.t("room.meetingDetails")}>
      <PanelHead
        title={room.t("room.meetingDetails")}
        panel="info"
        closeLabel={room.t("room.close", { panel: room.t("room.meetingDetails") })}
        onClose={() => room.togglePanel("info")}
      />
      <p class="room-info-title">{meeting.title}</p>
      <p class="room-info-me">
        {room.t("room.infoYouAre", {
          name: me.participantName,
          role: room.t(ROLE_TEXT[role] ?? "room.infoRoleParticipant"),
        })}
      </p>
      {room.settings.value.locked && (
        <p class="room-info-locked" data-locked="true">
          {room.t("room.infoLocked")}
        </p>
      )}
      {invite
        ? <InviteDetails meeting={meeting} invite={invite} t={room.t} />
        : <p>{room.t("room.infoNoInvite", { id: meeting.formattedId })}</p>}
      {moderator && (
        <nav class="room-info-records" aria-label={room.t("room.records")}>
          <a href={`/meetings/${meeting.meetingId}/transcript.txt`}>{room.t("room.transcript")}</a>
          <a href={`/meetings/${meeting.meetingId}/attendance.csv`}>{room.t("room.attendance")}</a>
        </nav>
      )}
    </aside>
  );
}

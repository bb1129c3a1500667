// The invitation hosts and co-hosts share: link, meeting ID and passcode, SIP address and phone
// number when the server has dial-in; on the pre-join screen and in the meeting's Info panel.

import CopyButton from "../CopyButton.tsx";
import type { MeetingRoomProps } from "../../lib/meetings/client/controller.ts";

export function InviteDetails({ meeting, invite }: Pick<MeetingRoomProps, "meeting" | "invite">) {
  if (!invite) return null;
  return (
    <div class="room-invite">
      <p>
        <span class="room-invite-label">Link</span>
        <a href={invite.url} class="invite-url">{invite.url}</a>
        <CopyButton text={invite.url} label="Copy link" />
      </p>
      <p>
        <span class="room-invite-label">Meeting ID</span>
        <strong>{meeting.formattedId}</strong>
      </p>
      <p>
        <span class="room-invite-label">Passcode</span>
        <strong class="invite-passcode">{invite.passcode}</strong>
      </p>
      {invite.sipUri && (
        <p>
          <span class="room-invite-label">SIP phone or room system</span>
          <strong class="invite-sip">{invite.sipUri}</strong>
          <CopyButton text={invite.sipUri} label="Copy SIP address" />
        </p>
      )}
      {invite.dialInNumber && (
        <p>
          <span class="room-invite-label">By phone</span>
          Call{" "}
          <strong class="invite-dial-in">{invite.dialInNumber}</strong>, then enter the meeting ID and passcode followed
          by #
        </p>
      )}
    </div>
  );
}

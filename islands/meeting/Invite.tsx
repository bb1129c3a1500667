// The invitation hosts and co-hosts share: link, meeting ID and passcode, SIP address and phone
// number when the server has dial-in; on the pre-join screen and in the meeting's Info panel.

import CopyButton, { copyWords } from "../CopyButton.tsx";
import type { MeetingRoomProps } from "../../lib/meetings/client/controller.ts";
import type { Translate } from "../../lib/i18n/client.ts";

export function InviteDetails(
  { meeting, invite, t }: Pick<MeetingRoomProps, "meeting" | "invite"> & { t: Translate },
) {
  if (!invite) return null;
  return (
    <div class="room-invite">
      <p>
        <span class="room-invite-label">{t("room.inviteLink")}</span>
        <a href={invite.url} class="invite-url">{invite.url}</a>
        <CopyButton text={invite.url} label={t("room.copyLink")} words={copyWords(t)} />
      </p>
      <p>
        <span class="room-invite-label">{t("room.inviteMeetingId")}</span>
        <strong>{meeting.formattedId}</strong>
      </p>
      <p>
        <span class="room-invite-label">{t("room.invitePasscode")}</span>
        <strong class="invite-passcode">{invite.passcode}</strong>
      </p>
      {invite.sipUri && (
        <p>
          <span class="room-invite-label">{t("room.inviteSip")}</span>
          <strong class="invite-sip">{invite.sipUri}</strong>
          <CopyButton text={invite.sipUri} label={t("room.copySip")} words={copyWords(t)} />
        </p>
      )}
      {invite.dialInNumber && (
        <p>
          <span class="room-invite-label">{t("room.inviteByPhone")}</span>
          <span class="invite-dial-in">{t("room.inviteCall", { number: invite.dialInNumber })}</span>
        </p>
      )}
    </div>
  );
}

// Who is in the meeting, with their microphone and camera state, who is talking, host / co-host
// badges and raised hands; for hosts and co-hosts also the lobby's waiting list, the hands queue,
// the meeting's live settings (lock, chat, unmuting) and each person's actions (HostMenu).

import type { MeetingController } from "../../lib/meetings/client/controller.ts";
import type { ChatPolicy, ParticipantRole, RoomSettings } from "../../lib/contracts/meeting_socket.ts";
import { HandsQueue } from "./Hands.tsx";
import { HostMenu } from "./HostMenu.tsx";
import { LobbyList, PhoneIcon } from "./Lobby.tsx";
import { CallOut } from "./CallOut.tsx";
import { PanelHead, SmallButton } from "./buttons.tsx";
import type { MessageKey } from "../../lib/i18n/client.ts";

const ROLE_LABEL: Record<ParticipantRole, MessageKey | null> = {
  host: "room.roleHost",
  cohost: "room.roleCohost",
  participant: null,
  guest: "room.roleGuest",
};

export function ParticipantList({ room }: { room: MeetingController }) {
  const me = room.participantId.value;
  const talking = room.speaker.value.talking;
  const people = [...room.roster.value.values()];
  const { t } = room;
  return (
    <aside class="room-sidebar room-participants" aria-label={t("room.participants")}>
      <PanelHead
        title={room.t("room.participantsCount", { count: people.length })}
        closeLabel={room.t("room.close", { panel: room.t("room.participants") })}
        panel="participants"
        onClose={() => room.setParticipantsOpen(false)}
      />
      <LobbyList room={room} />
      <HandsQueue room={room} />
      {room.isHost.value && <HostSettings room={room} />}
      {room.isHost.value && <CallOut room={room} />}
      <ul class="room-people">
        {people.map((p) => {
          const phone = p.kind === "phone";
          const roleKey = phone ? "room.rolePhone" : ROLE_LABEL[p.role];
          const role = roleKey ? t(roleKey) : null;
          const isTalking = phone ? !!p.state.speaking : talking.includes(p.participantId);
          return (
            <li
              key={p.participantId}
              class={isTalking ? "is-talking" : ""}
              data-participant-id={p.participantId}
              data-role={p.role}
              data-kind={phone ? "phone" : "web"}
            >
              <span class="room-participant-name">
                {p.handRaisedAt && (
                  <span class="room-hand" title={t("room.handRaised")} aria-label={t("room.handRaised")}>✋</span>
                )}
                {phone && <PhoneIcon label={room.t("room.onPhone")} />}
                {p.name}
                {p.participantId === me && t("room.youSuffix")}
                {role && <span class={`room-role is-${phone ? "phone" : p.role}`}>{role}</span>}
              </span>
              <span class="room-participant-state">
                <span class={p.state.audio ? "room-state-on" : "room-state-off"}>
                  {t(
                    p.state.audio
                      ? (isTalking && phone ? "room.speaking" : "room.stateMicOn")
                      : p.mutedByHost
                      ? "room.stateMutedByHost"
                      : "room.stateMuted",
                  )}
                </span>
                {!phone && (
                  <span class={p.state.video ? "room-state-on" : "room-state-off"}>
                    {t(
                      p.state.video
                        ? "room.stateCameraOn"
                        : p.videoStoppedByHost
                        ? "room.stateVideoStoppedByHost"
                        : "room.stateCameraOff",
                    )}
                  </span>
                )}
                {p.state.screen && <span class="room-state-on">{t("room.stateSharing")}</span>}
                <HostMenu room={room} p={p} />
              </span>
            </li>
          );
        })}
      </ul>
    </aside>
  );
}

/** The live settings hosts and co-hosts change during the meeting. */
/** One on/off meeting setting a host changes from the participant list. */
function SettingToggle(
  { room, setting, children }: {
    room: MeetingController;
    setting: "locked" | "allowUnmute" | "dialIn";
    children: string;
  },
) {
  return (
    <label class="room-toggle">
      <input
        type="checkbox"
        name={setting}
        checked={room.settings.value[setting]}
        onChange={(e) => room.changeSettings({ [setting]: (e.currentTarget as HTMLInputElement).checked })}
      />{" "}
      {children}
    </label>
  );
}

function HostSettings({ room }: { room: MeetingController }) {
  const s = room.settings.value;
  const { t } = room;
  return (
    <details class="room-host-settings">
      <summary>{t("room.hostControls")}</summary>
      <SettingToggle room={room} setting="locked">{t("room.settingLock")}</SettingToggle>
      <SettingToggle room={room} setting="allowUnmute">{t("room.settingAllowUnmute")}</SettingToggle>
      {room.props.invite?.sipUri || room.props.invite?.dialInNumber
        ? <SettingToggle room={room} setting="dialIn">{t("room.settingDialIn")}</SettingToggle>
        : null}
      <label class="room-device">
        {t("room.chatPolicy")}
        <select
          name="chat"
          value={s.chat}
          onChange={(e) => room.changeSettings({ chat: (e.currentTarget as HTMLSelectElement).value as ChatPolicy })}
        >
          <option value="everyone">{t("room.chatPolicyEveryone")}</option>
          <option value="hosts">{t("room.chatPolicyHosts")}</option>
          <option value="off">{t("room.chatPolicyOff")}</option>
        </select>
      </label>
      <label class="room-device">
        {t("room.recordingPolicy")}
        <select
          name="recording"
          value={s.recording}
          onChange={(e) =>
            room.changeSettings({
              recording: (e.currentTarget as HTMLSelectElement).value as RoomSettings["recording"],
            })}
        >
          <option value="hosts">{t("room.recordingPolicyHosts")}</option>
          <option value="everyone">{t("room.recordingPolicyEveryone")}</option>
          <option value="off">{t("room.recordingPolicyOff")}</option>
        </select>
      </label>
      <p class="room-host-buttons">
        <SmallButton action="mute-all" onClick={() => room.muteAll(s.allowUnmute)}>
          {t("room.muteEveryone")}
        </SmallButton>
        <SmallButton action="mute-all-locked" secondary onClick={() => room.muteAll(false)}>
          {t("room.muteEveryoneLocked")}
        </SmallButton>
      </p>
    </details>
  );
}

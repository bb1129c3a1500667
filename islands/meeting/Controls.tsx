// The meeting's control bar: microphone, camera, screen share, raise hand, reactions, layout,
// participants (with the lobby badge), chat (with the unread badge), settings, leave, and "End for
// all" for hosts. Unmute is disabled (with the reason) while a host keeps the person muted.

import type { MeetingController } from "../../lib/meetings/client/controller.ts";
import { ReactionButton } from "./Reactions.tsx";
import { ControlToggle, DeviceToggle } from "./buttons.tsx";

export function Controls({ room }: { room: MeetingController }) {
  const muted = room.audioMuted.value || !room.localAudio.value;
  const cameraOn = room.cameraOn.value && room.localVideo.value !== null;
  const sharing = room.localScreen.value !== null;
  const canEnd = room.isHost.value;
  const count = room.roster.value.size;
  const unmuteBlocked = muted && !room.mayUnmute.value ? "The host muted you and has not allowed unmuting" : undefined;
  const videoBlocked = !cameraOn && !room.mayStartVideo.value
    ? "The host stopped your video and has not allowed starting it"
    : undefined;
  const waiting = room.isHost.value ? room.lobby.value.length : 0;
  const unread = room.chat.value.unread;
  const hand = room.handRaised.value;
  return (
    <div class="room-controls" role="toolbar" aria-label="Meeting controls">
      <DeviceToggle action="mute" off={muted} blocked={unmuteBlocked} onClick={() => room.setAudioMuted(!muted)}>
        {muted ? "Unmute" : "Mute"}
      </DeviceToggle>
      <DeviceToggle action="camera" off={!cameraOn} blocked={videoBlocked} onClick={() => room.setCameraOn(!cameraOn)}>
        {cameraOn ? "Stop video" : "Start video"}
      </DeviceToggle>
      <ControlToggle action="screen" on={sharing} onClick={() => room.toggleScreen()}>
        {sharing ? "Stop sharing" : "Share screen"}
      </ControlToggle>
      <ControlToggle action="hand" on={hand} onClick={() => room.toggleHand()}>
        {hand ? "Lower hand" : "Raise hand"}
      </ControlToggle>
      <ReactionButton room={room} />
      <button
        type="button"
        class="room-control"
        data-action="layout"
        onClick={() => (room.layout.value = room.layout.value === "grid" ? "speaker" : "grid")}
      >
        {room.layout.value === "grid" ? "Speaker view" : "Grid view"}
      </button>
      <ControlToggle
        action="participants"
        on={room.showParticipants.value}
        onClick={() => room.setParticipantsOpen(!room.showParticipants.value)}
      >
        Participants ({count})
        {waiting > 0 && (
          <span class="room-badge is-alert" data-badge="lobby" aria-label={`${waiting} waiting`}>{waiting}</span>
        )}
      </ControlToggle>
      <ControlToggle action="chat" on={room.showChat.value} onClick={() => room.setChatOpen(!room.showChat.value)}>
        Chat
        {unread > 0 && (
          <span class="room-badge is-alert" data-badge="chat" aria-label={`${unread} unread`}>{unread}</span>
        )}
      </ControlToggle>
      <ControlToggle
        action="settings"
        on={room.showSettings.value}
        onClick={() => (room.showSettings.value = !room.showSettings.value)}
      >
        Settings
      </ControlToggle>
      <span class="room-controls-end">
        <button type="button" class="room-control is-leave" data-action="leave" onClick={() => room.leave()}>
          Leave
        </button>
        {canEnd && (
          <button type="button" class="room-control is-end" data-action="end" onClick={() => room.endForAll()}>
            End for all
          </button>
        )}
      </span>
    </div>
  );
}

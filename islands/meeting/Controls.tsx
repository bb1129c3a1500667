// The meeting's control bar: microphone, camera, screen share, layout, participants, settings,
// leave, and "End for all" for hosts.

import type { MeetingController } from "../../lib/meetings/client/controller.ts";

export function Controls({ room }: { room: MeetingController }) {
  const muted = room.audioMuted.value || !room.localAudio.value;
  const cameraOn = room.cameraOn.value && room.localVideo.value !== null;
  const sharing = room.localScreen.value !== null;
  const role = room.props.me.role;
  const canEnd = role === "host" || role === "cohost";
  const count = room.roster.value.size;
  return (
    <div class="room-controls" role="toolbar" aria-label="Meeting controls">
      <button
        type="button"
        class={`room-control${muted ? " is-off" : ""}`}
        aria-pressed={muted}
        data-action="mute"
        onClick={() => room.setAudioMuted(!muted)}
      >
        {muted ? "Unmute" : "Mute"}
      </button>
      <button
        type="button"
        class={`room-control${cameraOn ? "" : " is-off"}`}
        aria-pressed={!cameraOn}
        data-action="camera"
        onClick={() => room.setCameraOn(!cameraOn)}
      >
        {cameraOn ? "Stop video" : "Start video"}
      </button>
      <button
        type="button"
        class={`room-control${sharing ? " is-active" : ""}`}
        aria-pressed={sharing}
        data-action="screen"
        onClick={() => room.toggleScreen()}
      >
        {sharing ? "Stop sharing" : "Share screen"}
      </button>
      <button
        type="button"
        class="room-control"
        data-action="layout"
        onClick={() => (room.layout.value = room.layout.value === "grid" ? "speaker" : "grid")}
      >
        {room.layout.value === "grid" ? "Speaker view" : "Grid view"}
      </button>
      <button
        type="button"
        class={`room-control${room.showParticipants.value ? " is-active" : ""}`}
        aria-pressed={room.showParticipants.value}
        data-action="participants"
        onClick={() => (room.showParticipants.value = !room.showParticipants.value)}
      >
        Participants ({count})
      </button>
      <button
        type="button"
        class={`room-control${room.showSettings.value ? " is-active" : ""}`}
        aria-pressed={room.showSettings.value}
        data-action="settings"
        onClick={() => (room.showSettings.value = !room.showSettings.value)}
      >
        Settings
      </button>
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

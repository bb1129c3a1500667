// The pre-join screen: camera preview, microphone level, device pickers, "join with camera/mic
// off", and Join. Device problems are explained; joining still works listen-only.

import type { MeetingController } from "../../lib/meetings/client/controller.ts";
import { DeviceSettings } from "./DeviceSettings.tsx";
import { LevelMeter, VideoView } from "./media.tsx";

export function PreJoin({ room, ready }: { room: MeetingController; ready: boolean }) {
  const { props } = room;
  const joining = room.phase.value === "joining";
  const problems = room.problemMessages();
  return (
    <section class="room-prejoin" aria-labelledby="room-prejoin-title">
      <SelfPreview room={room} offText={room.previewing.value || !ready ? "Camera is off" : "Starting camera…"} />
      <div class="room-prejoin-side">
        <h2 id="room-prejoin-title">Ready to join?</h2>
        <p class="room-prejoin-name">
          Joining as <strong>{props.me.participantName}</strong>
        </p>
        {problems.map((m) => <p class="notice warn room-problem" role="alert" key={m}>{m}</p>)}
        <JoinToggles room={room} disabled={!ready} />
        <DeviceSettings room={room} />
        <button
          type="button"
          class="button room-join"
          disabled={!ready || joining}
          onClick={() => room.join()}
        >
          {joining ? "Joining…" : "Join now"}
        </button>
      </div>
    </section>
  );
}

/** The camera preview (or initials when it is off) with the microphone level, before joining and in the lobby. */
export function SelfPreview({ room, offText }: { room: MeetingController; offText: string }) {
  const video = room.cameraOn.value ? room.localVideo.value : null;
  return (
    <div class="room-preview">
      {video ? <VideoView track={video} mirror label="Your camera preview" /> : (
        <div class="room-preview-off">
          <span class="room-avatar">{initials(room.props.me.participantName)}</span>
          <span>{offText}</span>
        </div>
      )}
      <div class="room-preview-bar">
        <LevelMeter track={room.localAudio.value} muted={room.audioMuted.value} />
      </div>
    </div>
  );
}

/** "Join with camera off" / "Join with microphone off", before joining and while waiting in the lobby. */
export function JoinToggles({ room, disabled = false }: { room: MeetingController; disabled?: boolean }) {
  return (
    <div class="room-toggles">
      <label class="room-toggle">
        <input
          type="checkbox"
          checked={!room.cameraOn.value}
          disabled={disabled}
          onChange={(e) => room.setCameraOn(!(e.currentTarget as HTMLInputElement).checked)}
        />{" "}
        Join with camera off
      </label>
      <label class="room-toggle">
        <input
          type="checkbox"
          checked={room.audioMuted.value}
          disabled={disabled}
          onChange={(e) => {
            room.audioMuted.value = (e.currentTarget as HTMLInputElement).checked;
          }}
        />{" "}
        Join with microphone off
      </label>
    </div>
  );
}

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const letters = parts.length > 1 ? parts[0][0] + parts[parts.length - 1][0] : (parts[0] ?? "?").slice(0, 2);
  return letters.toUpperCase();
}

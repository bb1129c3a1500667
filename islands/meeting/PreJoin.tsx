// The pre-join screen everyone gets, hosts, members and guests alike: camera preview with the
// microphone level, camera and microphone on/off, device pickers, a speaker test, and Join. Device
// problems are explained; joining still works listen-only. Guests see the same screen before they
// are let in (EntryPreview: the server's name / passcode form sits beside it), and the waiting room
// keeps it while the host decides.

import { useEffect } from "preact/hooks";
import type { MeetingController } from "../../lib/meetings/client/controller.ts";
import { DeviceSettings } from "./DeviceSettings.tsx";
import { Effects } from "./Effects.tsx";
import { LevelMeter, VideoView } from "./media.tsx";
import { InviteDetails } from "./Invite.tsx";
import { Icon } from "./icons.tsx";
import type { IconName } from "./icons.tsx";

export function PreJoin({ room, ready }: { room: MeetingController; ready: boolean }) {
  const { props, t } = room;
  const joining = room.phase.value === "joining";
  const problems = room.problemMessages();
  return (
    <section class="room-prejoin" aria-labelledby="room-prejoin-title">
      <MediaCheck room={room} ready={ready} />
      <div class="room-prejoin-side">
        <h2 id="room-prejoin-title">{t("room.ready")}</h2>
        <p class="room-prejoin-name">{t("room.joiningAs", { name: props.me.participantName })}</p>
        {problems.map((m) => <p class="notice warn room-problem" role="alert" key={m}>{m}</p>)}
        {props.recording && (
          <p class="notice warn room-recording-prejoin" data-recording="true">
            <span class="room-rec-dot" aria-hidden="true"></span> {t("room.preJoinRecording")}
          </p>
        )}
        <button
          type="button"
          class="button room-join"
          disabled={!ready || joining}
          onClick={() => room.join()}
        >
          {joining ? t("room.joining") : t("room.joinNow")}
        </button>
        {props.invite && (
          <details class="room-prejoin-invite">
            <summary>{t("room.invitePeople")}</summary>
            <InviteDetails meeting={props.meeting} invite={props.invite} t={t} />
          </details>
        )}
      </div>
    </section>
  );
}

/**
 * The pre-join of someone not let in yet: the same checks, next to the server's form (name,
 * passcode). Submitting that form remembers the choices made here and makes the meeting page join
 * at once, so nobody sees a second pre-join.
 */
export function EntryPreview({ room, ready }: { room: MeetingController; ready: boolean }) {
  useEffect(() => {
    const form = document.querySelector<HTMLFormElement>("form.room-entry-form");
    if (!form) return;
    const submit = () => room.rememberJoinChoices({ joinNext: true });
    form.addEventListener("submit", submit);
    return () => form.removeEventListener("submit", submit);
  }, []);
  return (
    <div class="room-entry-media">
      {room.problemMessages().map((m) => <p class="notice warn room-problem" role="alert" key={m}>{m}</p>)}
      <MediaCheck room={room} ready={ready} />
    </div>
  );
}

/** Preview, on/off toggles, devices and the speaker test: what the pre-join, entry and waiting screens share. */
export function MediaCheck({ room, ready }: { room: MeetingController; ready: boolean }) {
  const { t } = room;
  const offText = !room.cameraOn.value
    ? t("room.cameraIsOff")
    : room.previewing.value && ready
    ? t("room.cameraUnavailable")
    : t("room.cameraStarting");
  return (
    <div class="room-check">
      <SelfPreview room={room} offText={offText} />
      <JoinToggles room={room} disabled={!ready} />
      <DeviceSettings room={room} />
      <SpeakerTest room={room} disabled={!ready} />
      <Effects room={room} />
    </div>
  );
}

/** The camera preview (or initials when it is off) with the microphone level. */
export function SelfPreview({ room, offText }: { room: MeetingController; offText: string }) {
  const video = room.cameraOn.value ? room.localVideo.value : null;
  return (
    <div class="room-preview">
      {video ? <VideoView track={video} mirror label={room.t("room.cameraPreview")} /> : (
        <div class="room-preview-off">
          <span class="room-avatar">{initials(room.props.me.participantName)}</span>
          <span>{offText}</span>
        </div>
      )}
      <div class="room-preview-bar">
        <LevelMeter track={room.localAudio.value} muted={room.audioMuted.value} label={room.t("room.micLevel")} />
      </div>
    </div>
  );
}

/** Camera and microphone on or off for joining (remembered on this device). */
export function JoinToggles({ room, disabled = false }: { room: MeetingController; disabled?: boolean }) {
  const { t } = room;
  const micOff = room.audioMuted.value;
  const camOff = !room.cameraOn.value;
  const toggles = [
    {
      action: "prejoin-mic",
      off: micOff,
      icon: micOff ? "mic-off" : "mic",
      label: micOff ? t("room.micOff") : t("room.micOn"),
      onClick: () => (room.audioMuted.value = !micOff),
    },
    {
      action: "prejoin-camera",
      off: camOff,
      icon: camOff ? "video-off" : "video",
      label: camOff ? t("room.cameraOff") : t("room.cameraOn"),
      onClick: () => room.setCameraOn(camOff),
    },
  ] as const;
  return (
    <div class="room-toggles" role="group" aria-label={t("room.joinWith")}>
      {toggles.map((t) => <OffToggle key={t.action} {...t} disabled={disabled} />)}
    </div>
  );
}

function OffToggle(p: {
  action: string;
  off: boolean;
  icon: IconName;
  label: string;
  disabled: boolean;
  onClick: () => void;
}) {
  return (
    <button
      type="button"
      class={`room-control room-toggle${p.off ? " is-off" : ""}`}
      data-action={p.action}
      aria-pressed={p.off}
      disabled={p.disabled}
      onClick={p.onClick}
    >
      <Icon name={p.icon} />
      <span>{p.label}</span>
    </button>
  );
}

const SPEAKER_TEST_TEXT = {
  idle: null,
  playing: "room.speakerPlaying",
  played: "room.speakerPlayed",
  failed: "room.speakerFailed",
} as const;

/** Plays a chime on the chosen speaker and says what to do if it was not heard. */
export function SpeakerTest({ room, disabled = false }: { room: MeetingController; disabled?: boolean }) {
  const state = room.speakerTest.value;
  return (
    <div class="room-speaker-test">
      <button
        type="button"
        class="button small secondary"
        data-action="test-speaker"
        disabled={disabled || state === "playing"}
        onClick={() => room.testSpeaker()}
      >
        <Icon name="volume" /> {room.t("room.testSpeaker")}
      </button>
      <span class="room-speaker-status" role="status" data-speaker-test={state}>
        {SPEAKER_TEST_TEXT[state] ? room.t(SPEAKER_TEST_TEXT[state]!) : ""}
      </span>
    </div>
  );
}

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const letters = parts.length > 1 ? parts[0][0] + parts[parts.length - 1][0] : (parts[0] ?? "?").slice(0, 2);
  return letters.toUpperCase();
}

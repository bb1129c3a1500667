// The meeting's control bar, always on screen at the bottom: the meeting's name and ID on the
// left; microphone, camera, raise hand, then screen share, reactions, layout and settings (folded
// into "More" on narrow screens; recording for those the meeting lets record), Leave and, for
// hosts, End for all; a red dot beside the meeting's ID while it is recorded; the panels (info,
// participants with the lobby badge, chat with the unread badge) on the right. Every button has an
// icon and a text label; on a phone only the icon shows, the label stays its accessible name.
// Unmute is disabled (with the reason) while a host keeps the person muted.

import { useState } from "preact/hooks";
import type { MeetingController } from "../../lib/meetings/client/controller.ts";
import { ReactionButton } from "./Reactions.tsx";
import { ControlToggle, DeviceToggle } from "./buttons.tsx";
import { Icon } from "./icons.tsx";

export function Controls({ room }: { room: MeetingController }) {
  const [moreOpen, setMoreOpen] = useState(false);
  const { t } = room;
  const muted = room.audioMuted.value || !room.localAudio.value;
  const cameraOn = room.cameraOn.value && room.localVideo.value !== null;
  const sharing = room.localScreen.value !== null;
  const canEnd = room.isHost.value;
  const count = room.roster.value.size;
  const unmuteBlocked = muted && !room.mayUnmute.value ? t("room.mutedByHost") : undefined;
  const videoBlocked = !cameraOn && !room.mayStartVideo.value ? t("room.videoStoppedByHost") : undefined;
  const waiting = room.isHost.value ? room.lobby.value.length : 0;
  const unread = room.chat.value.unread;
  const hand = room.handRaised.value;
  const locked = room.settings.value.locked;
  const { meeting } = room.props;
  return (
    <footer class="room-bar">
      <div class="room-bar-info">
        <h1 class="room-title">{meeting.title}</h1>
        <span class="room-bar-id">
          {meeting.formattedId}
          {locked && (
            <span class="room-lock-badge" data-locked="true">
              <Icon name="lock" /> {t("room.locked")}
            </span>
          )}
          {room.recording.value && (
            <span class="room-rec-badge" data-recording="true">
              <span class="room-rec-dot" aria-hidden="true"></span> {t("room.recordingLabel")}
            </span>
          )}
        </span>
      </div>
      <div
        class="room-controls"
        role="toolbar"
        aria-label={t("room.controls")}
        onKeyDown={(e) => {
          if (moreOpen && e.key === "Escape") setMoreOpen(false);
        }}
      >
        <DeviceToggle action="mute" off={muted} blocked={unmuteBlocked} onClick={() => room.setAudioMuted(!muted)}>
          <Icon name={muted ? "mic-off" : "mic"} />
          <Label>{muted ? t("room.unmute") : t("room.mute")}</Label>
        </DeviceToggle>
        <DeviceToggle
          action="camera"
          off={!cameraOn}
          blocked={videoBlocked}
          onClick={() => room.setCameraOn(!cameraOn)}
        >
          <Icon name={cameraOn ? "video" : "video-off"} />
          <Label>{cameraOn ? t("room.stopVideo") : t("room.startVideo")}</Label>
        </DeviceToggle>
        <ControlToggle action="hand" on={hand} onClick={() => room.toggleHand()}>
          <Icon name="hand" />
          <Label>{hand ? t("room.lowerHand") : t("room.raiseHand")}</Label>
        </ControlToggle>
        <div class={`room-controls-more${moreOpen ? " is-open" : ""}`} id="room-more">
          {room.cameraCount.value > 1 && cameraOn && (
            <button
              type="button"
              class="room-control room-flip"
              data-action="flip-camera"
              onClick={() => room.flipCamera()}
            >
              <Icon name="flip" />
              <Label>{t("room.switchCamera")}</Label>
            </button>
          )}
          {room.canShareScreen.value && (
            <ControlToggle action="screen" on={sharing} onClick={() => room.toggleScreen()}>
              <Icon name="screen" />
              <Label>{sharing ? t("room.stopSharing") : t("room.shareScreen")}</Label>
            </ControlToggle>
          )}
          {room.canRecord.value && (
            <ControlToggle
              action="record"
              on={room.recording.value}
              onClick={() => room.toggleRecording()}
            >
              <Icon name="record" />
              <Label>{room.recording.value ? t("room.stopRecording") : t("room.record")}</Label>
            </ControlToggle>
          )}
          <ReactionButton room={room} />
          <button
            type="button"
            class="room-control"
            data-action="layout"
            onClick={() => (room.layout.value = room.layout.value === "grid" ? "speaker" : "grid")}
          >
            <Icon name={room.layout.value === "grid" ? "speaker" : "grid"} />
            <Label>{room.layout.value === "grid" ? t("room.speakerView") : t("room.gridView")}</Label>
          </button>
          <ControlToggle action="settings" on={room.showSettings.value} onClick={() => room.togglePanel("settings")}>
            <Icon name="settings" />
            <Label>{t("room.settings")}</Label>
          </ControlToggle>
          {canEnd && (
            <button
              type="button"
              class="room-control is-end room-end-narrow"
              data-action="end-narrow"
              onClick={() => room.endForAll()}
            >
              <Icon name="leave" />
              <Label>{t("room.endForAll")}</Label>
            </button>
          )}
        </div>
        <button
          type="button"
          class={`room-control room-more-toggle${moreOpen ? " is-active" : ""}`}
          aria-expanded={moreOpen}
          aria-controls="room-more"
          data-action="more"
          onClick={() => setMoreOpen(!moreOpen)}
        >
          <Icon name="more" />
          <Label>{t("room.more")}</Label>
        </button>
        <button type="button" class="room-control is-leave" data-action="leave" onClick={() => room.leave()}>
          <Icon name="leave" />
          <Label>{t("room.leave")}</Label>
        </button>
        {canEnd && (
          <button
            type="button"
            class="room-control is-end room-end-wide"
            data-action="end"
            onClick={() => room.endForAll()}
          >
            <Label>{t("room.endForAll")}</Label>
          </button>
        )}
      </div>
      <div class="room-bar-panels" role="toolbar" aria-label={t("room.panels")}>
        <ControlToggle action="info" on={room.showInfo.value} onClick={() => room.togglePanel("info")}>
          <Icon name="info" />
          <Label>{t("room.details")}</Label>
        </ControlToggle>
        <ControlToggle
          action="participants"
          on={room.showParticipants.value}
          onClick={() => room.togglePanel("participants")}
        >
          <Icon name="people" />
          <Label>{t("room.participants")}</Label>
          <span class="room-badge" data-badge="count">{count}</span>
          {waiting > 0 && (
            <span
              class="room-badge is-alert"
              data-badge="lobby"
              aria-label={t("room.waitingCount", { count: waiting })}
            >
              {waiting}
            </span>
          )}
        </ControlToggle>
        <ControlToggle action="chat" on={room.showChat.value} onClick={() => room.togglePanel("chat")}>
          <Icon name="chat" />
          <Label>{t("room.chat")}</Label>
          {unread > 0 && (
            <span class="room-badge is-alert" data-badge="chat" aria-label={t("room.unreadCount", { count: unread })}>
              {unread}
            </span>
          )}
        </ControlToggle>
      </div>
    </footer>
  );
}

/** A control's text: shown beside the icon on wide screens, only read out on narrow ones. */
function Label({ children }: { children: string }) {
  return <span class="room-control-label">{children}</span>;
}

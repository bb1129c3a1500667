// The in-meeting island, a full-viewport app: the pre-join screen (or the lobby's waiting screen),
// then the meeting (the stage filling what the control bar leaves, alerts over it, side panels for
// details, participants, chat and settings), then the end screen. On a guest's name form it is
// only the pre-join checks (`preview`). All protocol work is in
// lib/meetings/client/ (controller.ts ties the socket, Janus and devices together); this file only
// renders the controller's signals.

import { useEffect, useMemo, useState } from "preact/hooks";
import { MeetingController } from "../lib/meetings/client/controller.ts";
import type { MeetingRoomProps } from "../lib/meetings/client/controller.ts";
import { Chat } from "./meeting/Chat.tsx";
import { Controls } from "./meeting/Controls.tsx";
import { KnockAlert, WaitingRoom } from "./meeting/Lobby.tsx";
import { DeviceSettings } from "./meeting/DeviceSettings.tsx";
import { Effects } from "./meeting/Effects.tsx";
import { ParticipantList } from "./meeting/ParticipantList.tsx";
import { EntryPreview, PreJoin, SpeakerTest } from "./meeting/PreJoin.tsx";
import { Stage } from "./meeting/Stage.tsx";
import { PanelHead, SmallButton } from "./meeting/buttons.tsx";
import { InfoPanel } from "./meeting/InfoPanel.tsx";
import { ShortcutsDialog, useShortcuts } from "./meeting/Shortcuts.tsx";

export type { MeetingRoomProps };

/** End-to-end test hook on `window.__talkspace`: state snapshots and stats, no secrets. */
export interface MeetingTestHook {
  state(): ReturnType<MeetingController["snapshot"]>;
  stats(): ReturnType<MeetingController["stats"]>;
  dropConnections(): void;
  restartIce(): void;
  /** Every server message received on the meeting socket. */
  received(): unknown[];
  /** Sends a raw client message (to check the server refuses what the UI would not send). */
  sendRaw(msg: Record<string, unknown>): boolean;
  /** Publishes live microphone audio bypassing the UI's mute (only the SFU's moderation stops it). */
  forceAudio(): Promise<boolean>;
}

const hookHost = globalThis as { __talkspace?: MeetingTestHook };

export default function MeetingRoom(props: MeetingRoomProps) {
  const room = useMemo(() => new MeetingController(props), []);
  // Server HTML and the first client render match; controls enable once hydrated.
  const [ready, setReady] = useState(false);

  useEffect(() => {
    setReady(true);
    room.startPreview();
    hookHost.__talkspace = {
      state: () => room.snapshot(),
      stats: () => room.stats(),
      dropConnections: () => room.dropConnections(),
      restartIce: () => room.restartIce(),
      received: () => room.received(),
      sendRaw: (msg) => room.sendRaw(msg),
      forceAudio: () => room.forceAudio(),
    };
    const onUnload = () => room.dispose();
    addEventListener("pagehide", onUnload);
    return () => {
      removeEventListener("pagehide", onUnload);
      room.dispose();
      delete hookHost.__talkspace;
    };
  }, []);

  const phase = room.phase.value;
  const { meeting } = props;
  const { t } = room;
  if (props.preview) {
    // Before being let in (a guest's name form beside it): only the checks, no socket.
    return (
      <div class="room room-entry" data-phase="entry">
        <EntryPreview room={room} ready={ready} />
      </div>
    );
  }
  if (phase === "lobby" || phase === "prejoin" || phase === "joining") {
    return (
      <div class="room room-start" data-phase={phase}>
        <header class="room-start-head">
          <h1>{meeting.title}</h1>
          <p class="meeting-id">{t("room.meetingIdLine", { id: meeting.formattedId })}</p>
        </header>
        {phase === "lobby" ? <WaitingRoom room={room} ready={ready} /> : <PreJoin room={room} ready={ready} />}
      </div>
    );
  }
  if (phase === "left" || phase === "ended" || phase === "refused" || phase === "removed" || phase === "denied") {
    // Removed and denied people cannot come back (for a while), so no Rejoin link.
    const canRejoin = phase === "left" || phase === "refused";
    return (
      <div class="room room-start" data-phase={phase}>
        <section class="room-closed" role="status">
          <h1>
            {phase === "left"
              ? t("room.leftTitle")
              : phase === "ended" || phase === "removed" || phase === "denied"
              ? room.closedReason.value
              : t("room.notInMeeting")}
          </h1>
          <p class="meeting-id">{meeting.title}</p>
          {phase === "refused" && <p>{room.closedReason.value}</p>}
          {phase === "denied" && <p>{t("room.askAgainLater")}</p>}
          <p>
            {canRejoin && (
              <a class="button" href={`/m/${meeting.meetingId}`}>
                {t("room.rejoin")}
              </a>
            )} <a class="button secondary" href="/">{t("room.backToStart")}</a>
          </p>
        </section>
      </div>
    );
  }
  return <InMeeting room={room} />;
}

/** The meeting itself: stage, alerts, panels, control bar, the shortcut keys and their dialog. */
function InMeeting({ room }: { room: MeetingController }) {
  useShortcuts(room);
  const phase = room.phase.value;
  const banner = room.banner.value;
  const prompt = room.unmutePrompt.value;
  const said = room.announcement.value;
  const { t } = room;
  const panels = room.showParticipants.value || room.showChat.value || room.showSettings.value || room.showInfo.value;
  return (
    <div class="room room-app" data-phase={phase}>
      <div class="room-body">
        <Stage room={room} />
        <div class="room-alerts">
          {banner && (
            <p class={`room-banner is-${banner.kind}`} role="status" aria-live="polite">
              {banner.text}
            </p>
          )}
          <KnockAlert room={room} />
          {room.recordingNotice.value && (
            <div class="room-prompt room-recording-notice" role="alertdialog" aria-labelledby="room-recording-text">
              <p id="room-recording-text">
                <span class="room-rec-dot" aria-hidden="true"></span> {t("room.recordingNotice")}
              </p>
              <SmallButton
                action="recording-ok"
                onClick={() =>
                  room.dismissRecordingNotice()}
              >
                {t("room.recordingGotIt")}
              </SmallButton>{" "}
              <SmallButton
                action="recording-leave"
                secondary
                onClick={() =>
                  room.leave()}
              >
                {t("room.recordingLeave")}
              </SmallButton>
            </div>
          )}
          {prompt && (
            <div class="room-prompt" role="alertdialog" aria-labelledby="room-prompt-text">
              <p id="room-prompt-text">
                {t(prompt.media === "audio" ? "room.promptUnmute" : "room.promptVideo", { name: prompt.by })}
              </p>
              <SmallButton action="accept-unmute" onClick={() => room.answerUnmutePrompt(true)}>
                {t(prompt.media === "audio" ? "room.unmute" : "room.startVideo")}
              </SmallButton>{" "}
              <SmallButton action="decline-unmute" secondary onClick={() => room.answerUnmutePrompt(false)}>
                {t(prompt.media === "audio" ? "room.stayMuted" : "room.keepVideoOff")}
              </SmallButton>
            </div>
          )}
          {room.notices.value.map((n, i) => (
            <p class="notice warn room-notice" role="alert" key={n}>
              {n} <button type="button" class="link" onClick={() => room.dismissNotice(i)}>{t("room.dismiss")}</button>
            </p>
          ))}
          {room.problemMessages().map((m) => <p class="notice warn room-notice" key={m}>{m}</p>)}
        </div>
        {panels && (
          <div class="room-panels">
            {room.showInfo.value && <InfoPanel room={room} />}
            {room.showParticipants.value && <ParticipantList room={room} />}
            {room.showChat.value && <Chat room={room} />}
            {room.showSettings.value && (
              <aside class="room-sidebar room-settings" aria-label={room.t("room.settings")}>
                <PanelHead
                  title={room.t("room.settings")}
                  closeLabel={room.t("room.close", { panel: room.t("room.settings") })}
                  panel="settings"
                  onClose={() => room.togglePanel("settings")}
                />
                <DeviceSettings room={room} />
                <SpeakerTest room={room} />
                <Effects room={room} />
                <p>
                  <button
                    type="button"
                    class="button small secondary"
                    data-action="shortcuts"
                    onClick={() => (room.shortcutsOpen.value = true)}
                  >
                    {room.t("room.shortcuts")}
                  </button>{" "}
                  {/* A new tab: the meeting keeps running. */}
                  <a href="/help/in-the-meeting" target="_blank" rel="noopener" data-action="help">
                    {room.t("room.help")}
                  </a>
                </p>
              </aside>
            )}
          </div>
        )}
      </div>
      <Controls room={room} />
      <ShortcutsDialog room={room} />
      {/* What a screen reader hears as the meeting goes on (joins, leaves, hands, messages). */}
      <div class="sr-only" aria-live="polite" data-announcer>
        {said && <p key={said.n}>{said.text}</p>}
      </div>
    </div>
  );
}

// The lobby, both sides: the waiting screen of a person who knocked (camera preview, "Waiting for
// the host to let you in"), and for hosts the waiting list with Admit / Deny / Admit all, a short
// beep (WebAudio, no sound file) and an alert when someone knocks.

import { useEffect, useRef } from "preact/hooks";
import type { MeetingController } from "../../lib/meetings/client/controller.ts";
import { MediaCheck } from "./PreJoin.tsx";
import { Icon } from "./icons.tsx";
import { SmallButton } from "./buttons.tsx";

/** What a knocking person sees until a host decides: the same checks as the pre-join screen. */
export function WaitingRoom({ room, ready }: { room: MeetingController; ready: boolean }) {
  const { props, t } = room;
  const status = room.lobbyStatus.value;
  const connecting = room.socketStatus.value !== "open" && !status;
  const locked = props.waitingReason === "locked";
  return (
    <section class="room-prejoin room-waiting" aria-labelledby="room-waiting-title">
      <MediaCheck room={room} ready={ready} />
      <div class="room-prejoin-side">
        <h2 id="room-waiting-title">
          {status?.status === "admitted" ? t("room.admittedTitle") : t("room.waitingTitle")}
        </h2>
        {locked && (
          <p class="notice warn room-locked-notice" data-locked="true">
            <Icon name="lock" /> {t("room.waitingLocked")}
          </p>
        )}
        <p class="room-waiting-status" role="status" aria-live="polite" data-lobby-status={status?.status ?? ""}>
          {connecting
            ? t("room.connecting")
            : room.socketStatus.value === "reconnecting"
            ? t("room.reconnecting")
            : t("room.waitingStatus", { name: props.me.participantName })}
        </p>
        <button type="button" class="button secondary" data-action="leave-lobby" onClick={() => room.leave()}>
          {t("room.leave")}
        </button>
      </div>
    </section>
  );
}

/** The marker of a caller (phone participant), with a text alternative. */
export function PhoneIcon({ label }: { label: string }) {
  return <span class="room-phone" role="img" aria-label={label} title={label}>📞</span>;
}

/** Hosts: everyone waiting, with Admit / Deny each and for all. */
export function LobbyList({ room }: { room: MeetingController }) {
  const waiting = room.lobby.value;
  if (!room.isHost.value || waiting.length === 0) return null;
  return (
    <section class="room-lobby" aria-label={room.t("room.waitingInLobby")}>
      <h3>
        {room.t("room.waitingToJoin")} <span class="room-badge">{waiting.length}</span>
      </h3>
      <ul>
        {waiting.map((e) => (
          <li key={e.admissionId} data-admission-id={e.admissionId}>
            <span class="room-participant-name">
              {e.phone && <PhoneIcon label={room.t("room.onPhone")} />}
              {e.name}
              <span class="room-role">
                {room.t(e.phone ? "room.rolePhone" : e.signedIn ? "room.signedIn" : "room.roleGuest")}
              </span>
            </span>
            <span class="room-lobby-actions">
              <SmallButton action="admit" onClick={() => room.admit(e.admissionId)}>
                {room.t("room.admit")}
              </SmallButton>
              <SmallButton action="deny" secondary onClick={() => room.deny(e.admissionId)}>
                {room.t("room.deny")}
              </SmallButton>
            </span>
          </li>
        ))}
      </ul>
      {waiting.length > 1 && (
        <p class="room-lobby-all">
          <SmallButton action="admit-all" onClick={() => room.admitAll()}>
            {room.t("room.admitAll")}
          </SmallButton>
        </p>
      )}
    </section>
  );
}

/** Hosts: an alert (and a beep) when someone knocks while the participant list is closed. */
export function KnockAlert({ room }: { room: MeetingController }) {
  const waiting = room.lobby.value;
  const isHost = room.isHost.value;
  const count = useRef(0);
  useEffect(() => {
    if (isHost && waiting.length > count.current) beep();
    count.current = waiting.length;
  }, [waiting.length, isHost]);
  if (!isHost || waiting.length === 0 || room.showParticipants.value) return null;
  const first = waiting[0];
  return (
    <p class="room-knock" role="alert">
      {waiting.length === 1
        ? room.t("room.knockOne", { name: first.name })
        : room.t("room.knockMany", { count: waiting.length })}{" "}
      {waiting.length === 1 && (
        <SmallButton action="admit" onClick={() => room.admit(first.admissionId)}>
          {room.t("room.admit")}
        </SmallButton>
      )}{" "}
      <button type="button" class="button small secondary" onClick={() => room.setParticipantsOpen(true)}>
        {room.t("room.seeWaitingList")}
      </button>
    </p>
  );
}

let audio: AudioContext | null = null;

/** Two short tones; silent when the browser allows no audio yet. */
function beep() {
  try {
    audio ??= new AudioContext();
    const ctx = audio;
    const gain = ctx.createGain();
    gain.connect(ctx.destination);
    const t = ctx.currentTime;
    gain.gain.setValueAtTime(0.0001, t);
    for (const [i, freq] of [[0, 660], [1, 880]] as const) {
      const osc = ctx.createOscillator();
      osc.frequency.value = freq;
      osc.connect(gain);
      const start = t + i * 0.18;
      gain.gain.exponentialRampToValueAtTime(0.15, start + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.15);
      osc.start(start);
      osc.stop(start + 0.16);
    }
  } catch { /* no WebAudio */ }
}

// The meeting stage: everyone's camera (or initials) and shared screens, as an even grid or as a
// speaker view (main tile plus a filmstrip), with the active speaker highlighted and pinning.

import { useEffect, useRef } from "preact/hooks";
import type { MeetingController } from "../../lib/meetings/client/controller.ts";
import { allTiles, gridDimensions, speakerLayout, tileId } from "../../lib/meetings/client/layout.ts";
import type { StageInput, TileKey } from "../../lib/meetings/client/layout.ts";
import { AudioSink, VideoView } from "./media.tsx";
import { initials } from "./PreJoin.tsx";
import { TileReactions } from "./Reactions.tsx";
import { PhoneIcon } from "./Lobby.tsx";

export function Stage({ room }: { room: MeetingController }) {
  const me = room.participantId.value;
  const roster = room.roster.value;
  const remote = room.remote.value;
  const screens = [...roster.values()]
    .filter((p) =>
      p.participantId === me
        ? room.localScreen.value !== null
        : remote.some((r) => r.participantId === p.participantId && r.source === "screen")
    )
    .map((p) => p.participantId);
  const input: StageInput = {
    participants: [...roster.keys()],
    me,
    screens,
    pinned: room.pinned.value,
    speaker: room.speaker.value,
  };
  const speakerView = room.layout.value === "speaker";
  const tiles = allTiles(input);
  const { main, strip } = speakerLayout(input);
  const audio = remote.filter((r) => r.source === "audio" && r.track);

  return (
    <div class={`room-stage ${speakerView ? "is-speaker" : "is-grid"}`}>
      {speakerView
        ? (
          <>
            <div class="room-main">{main && <Tile room={room} tile={main} large />}</div>
            {strip.length > 0 && (
              <div class="room-strip">
                {strip.map((t) => <Tile key={tileId(t)} room={room} tile={t} />)}
              </div>
            )}
          </>
        )
        : <Grid room={room} tiles={tiles} />}
      <div class="room-sinks" aria-hidden="true">
        {audio.map((a) => <AudioSink key={a.mid} track={a.track!} sinkId={room.speakerId.value} />)}
      </div>
    </div>
  );
}

function Grid({ room, tiles }: { room: MeetingController; tiles: TileKey[] }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const fit = () => {
      const { cols, rows } = gridDimensions(tiles.length, el.clientWidth, el.clientHeight);
      el.style.setProperty("--room-cols", String(cols));
      el.style.setProperty("--room-rows", String(rows));
    };
    fit();
    const ro = new ResizeObserver(fit);
    ro.observe(el);
    return () => ro.disconnect();
  }, [tiles.length]);
  return (
    <div ref={ref} class="room-grid">
      {tiles.map((t) => <Tile key={tileId(t)} room={room} tile={t} />)}
    </div>
  );
}

function Tile({ room, tile, large = false }: { room: MeetingController; tile: TileKey; large?: boolean }) {
  const me = room.participantId.value;
  const p = room.roster.value.get(tile.participantId);
  const isMe = tile.participantId === me;
  const name = p?.name ?? room.t("room.participant");
  let track: MediaStreamTrack | null = null;
  if (isMe) {
    track = tile.source === "screen" ? room.localScreen.value : room.cameraOn.value ? room.localVideo.value : null;
  } else {
    const stream = room.remote.value.find((r) => r.participantId === tile.participantId && r.source === tile.source);
    // A camera the participant turned off shows their initials, not a frozen frame.
    if (stream?.track && (tile.source === "screen" || p?.state.video !== false)) track = stream.track;
  }
  const speaker = room.speaker.value;
  // Callers are audio only: their talking comes from the gateway (state.speaking).
  const phone = p?.kind === "phone";
  const talking = tile.source === "camera" &&
    (phone ? !!p?.state.speaking : speaker.talking.includes(tile.participantId));
  const pinned = room.pinned.value;
  const isPinned = pinned !== null && tileId(pinned) === tileId(tile);
  const label = tile.source === "screen"
    ? room.t("room.screenOf", { name })
    : isMe
    ? room.t("room.nameYou", { name })
    : name;
  const micOff = tile.source === "camera" && p !== undefined && !p.state.audio;
  return (
    <figure
      class={`room-tile${talking ? " is-talking" : ""}${large ? " is-large" : ""}${
        tile.source === "screen" ? " is-screen" : ""
      }`}
      data-participant-id={tile.participantId}
      data-source={tile.source}
      data-kind={phone ? "phone" : "web"}
    >
      {track
        ? (
          <VideoView
            track={track}
            mirror={isMe && tile.source === "camera"}
            fit={tile.source === "screen" ? "contain" : "cover"}
            label={label}
          />
        )
        : phone
        ? <span class="room-avatar is-phone" aria-hidden="true">📞</span>
        : <span class="room-avatar" aria-hidden="true">{initials(name)}</span>}
      {tile.source === "camera" && <TileReactions room={room} participantId={tile.participantId} />}
      <figcaption class="room-tile-name">
        {tile.source === "camera" && p?.handRaisedAt && (
          <span class="room-hand" title={room.t("room.handRaised")} aria-label={room.t("room.handRaised")}>✋</span>
        )}
        {phone && <PhoneIcon label={room.t("room.onPhone")} />}
        {micOff && <span class="room-muted-icon" title={room.t("room.micOff")}>{room.t("room.stateMuted")}</span>}
        {label}
      </figcaption>
      <button
        type="button"
        class={`room-pin${isPinned ? " is-pinned" : ""}`}
        aria-pressed={isPinned}
        onClick={() => room.pin(tile)}
      >
        {isPinned ? room.t("room.unpin") : room.t("room.pin")}
      </button>
    </figure>
  );
}

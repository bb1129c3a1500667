// Layout decisions for the meeting stage, kept pure so they can be tested without a browser:
// grid dimensions, the active speaker, and what the speaker view puts on the main stage.

/** Columns and rows that make `count` tiles of `aspect` (width/height) as large as possible. */
export function gridDimensions(count: number, width: number, height: number, aspect = 16 / 9): {
  cols: number;
  rows: number;
} {
  if (count <= 0) return { cols: 1, rows: 1 };
  if (width <= 0 || height <= 0) {
    const cols = Math.ceil(Math.sqrt(count));
    return { cols, rows: Math.ceil(count / cols) };
  }
  let best = { cols: 1, rows: count, size: -1 };
  for (let cols = 1; cols <= count; cols++) {
    const rows = Math.ceil(count / cols);
    // The tile is limited either by the column width or by the row height.
    const tileWidth = Math.min(width / cols, (height / rows) * aspect);
    // Ties go to more columns: the same tile size with fewer empty rows below.
    if (tileWidth >= best.size - 0.001) best = { cols, rows, size: tileWidth };
  }
  return { cols: best.cols, rows: best.rows };
}

/** Who is talking now (in the order they started) and who spoke last. */
export interface SpeakerState {
  talking: readonly string[];
  /** The most recent participant to start talking; stays after they stop until someone else talks. */
  dominant: string | null;
}

export const NO_SPEAKER: SpeakerState = { talking: [], dominant: null };

export type SpeakerEvent =
  | { type: "talking"; participantId: string }
  | { type: "stopped-talking"; participantId: string }
  | { type: "left"; participantId: string };

/** Applies a VideoRoom talking event (or a departure) to the speaker state. */
export function speakerReducer(state: SpeakerState, event: SpeakerEvent): SpeakerState {
  const id = event.participantId;
  switch (event.type) {
    case "talking":
      if (state.talking.includes(id) && state.dominant === id) return state;
      return { talking: [...state.talking.filter((t) => t !== id), id], dominant: id };
    case "stopped-talking": {
      if (!state.talking.includes(id)) return state;
      const talking = state.talking.filter((t) => t !== id);
      // Someone still talking takes over; otherwise the last speaker keeps the stage.
      return { talking, dominant: talking.length ? talking[talking.length - 1] : state.dominant };
    }
    case "left": {
      const talking = state.talking.filter((t) => t !== id);
      const dominant = state.dominant === id ? (talking[talking.length - 1] ?? null) : state.dominant;
      if (talking.length === state.talking.length && dominant === state.dominant) return state;
      return { talking, dominant };
    }
  }
}

/** One tile of the stage: a participant's camera (or avatar), or a shared screen. */
export interface TileKey {
  participantId: string;
  source: "camera" | "screen";
}

export function tileId(t: TileKey): string {
  return `${t.participantId}:${t.source}`;
}

export interface StageInput {
  /** Participants in join order (me included). */
  participants: readonly string[];
  me: string | null;
  /** Participants sharing a screen, in the order they started. */
  screens: readonly string[];
  pinned: TileKey | null;
  speaker: SpeakerState;
}

/** Every tile, screens first (most recent share first), then cameras in join order. */
export function allTiles(input: StageInput): TileKey[] {
  const screens = [...input.screens].reverse().filter((p) => input.participants.includes(p));
  return [
    ...screens.map((participantId) => ({ participantId, source: "screen" as const })),
    ...input.participants.map((participantId) => ({ participantId, source: "camera" as const })),
  ];
}

/**
 * The tile the speaker view puts on the main stage: the pinned tile, else the latest screen share,
 * else the dominant speaker other than me, else the first other participant, else me.
 */
export function mainTile(input: StageInput): TileKey | null {
  const present = new Set(input.participants);
  if (input.pinned && present.has(input.pinned.participantId)) {
    if (input.pinned.source === "camera" || input.screens.includes(input.pinned.participantId)) return input.pinned;
  }
  const screens = input.screens.filter((p) => present.has(p));
  if (screens.length) return { participantId: screens[screens.length - 1], source: "screen" };
  const d = input.speaker.dominant;
  if (d && d !== input.me && present.has(d)) return { participantId: d, source: "camera" };
  const other = input.participants.find((p) => p !== input.me);
  if (other) return { participantId: other, source: "camera" };
  return input.me && present.has(input.me) ? { participantId: input.me, source: "camera" } : null;
}

/** The speaker view: the main tile and the filmstrip (every other tile, in grid order). */
export function speakerLayout(input: StageInput): { main: TileKey | null; strip: TileKey[] } {
  const main = mainTile(input);
  const strip = allTiles(input).filter((t) => !main || tileId(t) !== tileId(main));
  return { main, strip };
}

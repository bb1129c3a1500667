// The one ffmpeg pass that composes a recording: every person a tile (their camera, or a name card
// for phones and cameras that are off) in a grid, or beside a large screen share while someone
// shares; each input placed in time at its own offset and shown only while it was there; names on
// tiles; a border on whoever is talking (Janus's talking events); all audio mixed at its offset.
// Pure: it builds the filter graph and arguments, processor.ts runs them.

/** One converted recording placed on the meeting's timeline (seconds from the first packet of all). */
export interface Track {
  path: string;
  offset: number;
  duration: number;
}

export interface Person {
  participantId: string;
  name: string;
  cameras: Track[];
  audios: Track[];
  /** Seconds on the timeline. */
  talking: { from: number; to: number }[];
}

export interface ComposeInput {
  people: Person[];
  screens: Track[];
  duration: number;
  video: { width: number; height: number; fps: number; preset: string };
  /** A TrueType font for the names, or null (then no names are drawn). */
  font: string | null;
  /** Where each person's name is written for drawtext (`textfile`, so names need no escaping). */
  nameFile: (index: number) => string;
  output: string;
}

export interface Composition {
  args: string[];
  filterGraph: string;
  /** Files to write before running: the names. */
  textFiles: { path: string; text: string }[];
}

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

interface Segment {
  from: number;
  to: number;
  /** Indexes into people, in order. */
  present: number[];
  screen: number | null;
  tiles: Map<number, Box>;
  screenBox: Box | null;
}

const even = (n: number) => Math.max(2, Math.floor(n / 2) * 2);
const covers = (t: Track, at: number) => at >= t.offset && at < t.offset + t.duration;
const fmt = (n: number) => String(Math.round(n * 1000) / 1000);
/** Tiles are this much smaller than their cell on each side. */
const GAP = 4;

function grid(n: number, area: Box): Box[] {
  const cols = Math.ceil(Math.sqrt(n));
  const rows = Math.ceil(n / cols);
  const cw = area.w / cols;
  const ch = area.h / rows;
  const out: Box[] = [];
  for (let i = 0; i < n; i++) {
    const r = Math.floor(i / cols);
    // The last row's tiles are centred when it is not full.
    const inRow = r === rows - 1 ? n - r * cols : cols;
    const c = i % cols;
    const x0 = area.x + (area.w - inRow * cw) / 2;
    out.push({
      x: even(x0 + c * cw + GAP),
      y: even(area.y + r * ch + GAP),
      w: even(cw - 2 * GAP),
      h: even(ch - 2 * GAP),
    });
  }
  return out;
}

/** Cameras in a column beside the screen share: 16:9 tiles, as many as fit, from the top. */
function strip(n: number, area: Box): Box[] {
  const h = Math.min(area.h / Math.max(n, 1), (area.w * 9) / 16);
  return Array.from({ length: n }, (_, i) => ({
    x: even(area.x + GAP),
    y: even(area.y + i * h + GAP),
    w: even(area.w - 2 * GAP),
    h: even(h - 2 * GAP),
  }));
}

/** Splits the timeline wherever someone or a screen share comes or goes, and lays out each piece. */
export function segments(input: Pick<ComposeInput, "people" | "screens" | "duration" | "video">): Segment[] {
  const { width: W, height: H } = input.video;
  const tracksOf = (p: Person) => [...p.cameras, ...p.audios];
  const cuts = new Set<number>([0, input.duration]);
  for (const t of [...input.people.flatMap(tracksOf), ...input.screens]) {
    for (const at of [t.offset, t.offset + t.duration]) if (at > 0 && at < input.duration) cuts.add(at);
  }
  const times = [...cuts].sort((a, b) => a - b);
  const out: Segment[] = [];
  for (let i = 0; i + 1 < times.length; i++) {
    const [from, to] = [times[i], times[i + 1]];
    if (to - from < 0.02) continue;
    const mid = (from + to) / 2;
    const present = input.people.map((p, j) => tracksOf(p).some((t) => covers(t, mid)) ? j : -1).filter((j) => j >= 0);
    const screen = input.screens.findIndex((t) => covers(t, mid));
    const tiles = new Map<number, Box>();
    let screenBox: Box | null = null;
    if (screen >= 0) {
      const mainW = present.length ? even(W * 0.78) : W;
      screenBox = { x: 0, y: 0, w: mainW, h: H };
      strip(present.length, { x: mainW, y: 0, w: W - mainW, h: H }).forEach((b, k) => tiles.set(present[k], b));
    } else {
      grid(present.length, { x: 0, y: 0, w: W, h: H }).forEach((b, k) => tiles.set(present[k], b));
    }
    const last = out[out.length - 1];
    const same = last && last.screen === (screen >= 0 ? screen : null) &&
      last.present.join() === present.join() && last.to === from;
    if (same) last.to = to;
    else out.push({ from, to, present, screen: screen >= 0 ? screen : null, tiles, screenBox });
  }
  return out;
}

const between = (from: number, to: number) => `between(t,${fmt(from)},${fmt(to)})`;

/** The ffmpeg arguments and filter graph for one composition. */
export function compose(input: ComposeInput): Composition {
  const { width: W, height: H, fps, preset } = input.video;
  const D = Math.max(1, input.duration);
  const segs = segments({ ...input, duration: D });
  const args: string[] = ["-hide_banner", "-nostdin", "-y"];
  const chains: string[] = [];
  let inputs = 0;
  const addInput = (path: string) => {
    args.push("-i", path);
    return inputs++;
  };

  let cur = "bg";
  let n = 0;
  const next = () => `v${n++}`;
  chains.push(`color=c=0x1e1e1e:s=${W}x${H}:r=${fps}:d=${fmt(D)},format=yuv420p[${cur}]`);
  const then = (filter: string) => {
    const out = next();
    chains.push(`[${cur}]${filter}[${out}]`);
    cur = out;
  };

  // Tile backgrounds (what a person without a camera shows), one drawbox per tile and layout.
  for (const s of segs) {
    for (const [, b] of s.tiles) {
      then(`drawbox=x=${b.x}:y=${b.y}:w=${b.w}:h=${b.h}:color=0x2e3440:t=fill:enable='${between(s.from, s.to)}'`);
    }
  }

  // Pictures: each video input split into one copy per layout it appears in, trimmed to it.
  const place = (track: Track, boxOf: (s: Segment) => Box | null) => {
    const uses = segs.map((s) => ({ s, box: boxOf(s) })).filter((u) =>
      u.box && u.s.to > track.offset && u.s.from < track.offset + track.duration
    );
    if (!uses.length) return;
    const k = addInput(track.path);
    const label = `in${k}`;
    const copies = uses.map((_, j) => `${label}c${j}`);
    chains.push(
      `[${k}:v]setpts=PTS-STARTPTS+${fmt(track.offset)}/TB${
        copies.length > 1 ? `,split=${copies.length}${copies.map((c) => `[${c}]`).join("")}` : `[${copies[0]}]`
      }`,
    );
    uses.forEach(({ s, box }, j) => {
      const b = box!;
      const scaled = `${copies[j]}s`;
      const from = Math.max(s.from, track.offset);
      const to = Math.min(s.to, track.offset + track.duration);
      chains.push(
        `[${copies[j]}]trim=start=${fmt(from)}:end=${
          fmt(to)
        },scale=w=${b.w}:h=${b.h}:force_original_aspect_ratio=decrease:force_divisible_by=2[${scaled}]`,
      );
      const out = next();
      chains.push(
        `[${cur}][${scaled}]overlay=x='${b.x}+(${b.w}-overlay_w)/2':y='${b.y}+(${b.h}-overlay_h)/2':eof_action=pass:enable='${
          between(from, to)
        }'[${out}]`,
      );
      cur = out;
    });
  };
  input.screens.forEach((t, i) => place(t, (s) => (s.screen === i ? s.screenBox : null)));
  input.people.forEach((p, i) => p.cameras.forEach((t) => place(t, (s) => s.tiles.get(i) ?? null)));

  // Active speaker: a border while they talk, one drawbox per tile and layout.
  for (const s of segs) {
    for (const [i, b] of s.tiles) {
      const spans = input.people[i].talking
        .map((t) => ({ from: Math.max(t.from, s.from), to: Math.min(t.to, s.to) }))
        .filter((t) => t.to - t.from > 0.2);
      if (!spans.length) continue;
      then(
        `drawbox=x=${b.x}:y=${b.y}:w=${b.w}:h=${b.h}:color=0x3b82f6:t=6:enable='${
          spans.map((t) => between(t.from, t.to)).join("+")
        }'`,
      );
    }
  }

  // Names, bottom left of each tile, over a dark band so they read on any picture.
  const textFiles: { path: string; text: string }[] = [];
  if (input.font) {
    input.people.forEach((p, i) => textFiles.push({ path: input.nameFile(i), text: p.name }));
    for (const s of segs) {
      for (const [i, b] of s.tiles) {
        const size = Math.max(12, Math.min(28, Math.round(b.h / 12)));
        then(
          `drawtext=fontfile=${input.font}:textfile=${
            input.nameFile(i)
          }:fontsize=${size}:fontcolor=white:box=1:boxcolor=black@0.55:boxborderw=6:x=${b.x + 10}:y=${
            b.y + b.h - size - 16
          }:enable='${between(s.from, s.to)}'`,
        );
      }
    }
  }

  // Audio: every voice at its offset (silence fills gaps), mixed without lowering anyone.
  const audio: string[] = [];
  chains.push(`anullsrc=r=48000:cl=stereo:d=${fmt(D)}[asil]`);
  for (const p of input.people) {
    for (const t of p.audios) {
      const k = addInput(t.path);
      const label = `a${k}`;
      chains.push(
        `[${k}:a]aresample=48000:async=1:first_pts=0,aformat=sample_rates=48000:channel_layouts=stereo,adelay=${
          Math.round(t.offset * 1000)
        }:all=1[${label}]`,
      );
      audio.push(label);
    }
  }
  chains.push(
    `[asil]${audio.map((a) => `[${a}]`).join("")}amix=inputs=${
      audio.length + 1
    }:duration=first:dropout_transition=0:normalize=0[aout]`,
  );

  const filterGraph = chains.join(";\n");
  args.push(
    "-filter_complex_script",
    "FILTER_SCRIPT",
    "-map",
    `[${cur}]`,
    "-map",
    "[aout]",
    "-c:v",
    "libx264",
    "-preset",
    preset,
    "-crf",
    "23",
    "-pix_fmt",
    "yuv420p",
    "-r",
    String(fps),
    "-g",
    String(fps * 4),
    "-c:a",
    "aac",
    "-b:a",
    "128k",
    "-movflags",
    "+faststart",
    "-t",
    fmt(D),
    "-progress",
    "pipe:1",
    "-nostats",
    "-f",
    "mp4",
    input.output,
  );
  return { args, filterGraph, textFiles };
}

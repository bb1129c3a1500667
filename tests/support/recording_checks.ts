// Checks of a composed recording with ffprobe and ffmpeg's own filters: streams and duration,
// moving picture in a region (signalstats YDIF: mean change of luma between frames), and how loud
// one frequency band is (bandpass + volumedetect).

async function run(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")} failed:\n${text.slice(-2000)}`);
  return text;
}

export interface Probe {
  videoCodec: string | null;
  audioCodec: string | null;
  width: number;
  height: number;
  durationSeconds: number;
  /** The moov atom comes before the media data (faststart). */
  faststart: boolean;
}

export async function probe(path: string): Promise<Probe> {
  const json = JSON.parse(
    await run("ffprobe", ["-v", "error", "-show_streams", "-show_format", "-of", "json", path]),
  ) as {
    streams: { codec_type: string; codec_name: string; width?: number; height?: number }[];
    format: { duration: string };
  };
  const v = json.streams.find((s) => s.codec_type === "video");
  const a = json.streams.find((s) => s.codec_type === "audio");
  // Top-level atoms in order: faststart puts moov before mdat.
  const head = (await Deno.readFile(path)).subarray(0, 1 << 20);
  const text = new TextDecoder("latin1").decode(head);
  const moov = text.indexOf("moov");
  const mdat = text.indexOf("mdat");
  return {
    videoCodec: v?.codec_name ?? null,
    audioCodec: a?.codec_name ?? null,
    width: v?.width ?? 0,
    height: v?.height ?? 0,
    durationSeconds: Number(json.format.duration),
    faststart: moov >= 0 && (mdat < 0 || moov < mdat),
  };
}

/** Runs one ffmpeg filter over a time window of `path` (video with "-vf", audio with "-af"); answers its log. */
function filterWindow(path: string, window: { from: number; to: number }, filter: ["-vf" | "-af", string]) {
  return run("ffmpeg", [
    "-hide_banner",
    "-ss",
    String(window.from),
    "-to",
    String(window.to),
    "-i",
    path,
    filter[0] === "-vf" ? "-an" : "-vn",
    ...filter,
    "-f",
    "null",
    "-",
  ]);
}

/** Mean YDIF (0–255) of a region over a time window: well above 0 where the picture moves. */
export async function motion(
  path: string,
  region: { x: number; y: number; w: number; h: number },
  window: { from: number; to: number },
): Promise<number> {
  const text = await filterWindow(path, window, [
    "-vf",
    `crop=${region.w}:${region.h}:${region.x}:${region.y},signalstats,metadata=mode=print:key=lavfi.signalstats.YDIF`,
  ]);
  const values = [...text.matchAll(/lavfi\.signalstats\.YDIF=([\d.]+)/g)].map((m) => Number(m[1]));
  if (!values.length) throw new Error(`no signalstats output for ${JSON.stringify(region)}`);
  // The first frame has no previous one to differ from.
  const rest = values.slice(1);
  return rest.reduce((a, b) => a + b, 0) / Math.max(1, rest.length);
}

/** Mean volume (dB) of the audio in a narrow band around `hz` over a time window. */
export async function bandVolume(path: string, hz: number, window: { from: number; to: number }): Promise<number> {
  const text = await filterWindow(path, window, [
    "-af",
    `bandpass=f=${hz}:width_type=h:w=50,bandpass=f=${hz}:width_type=h:w=50,volumedetect`,
  ]);
  const m = /mean_volume: (-?[\d.]+|-inf) dB/.exec(text);
  if (!m) throw new Error(`no volumedetect output:\n${text.slice(-1000)}`);
  return m[1] === "-inf" ? -Infinity : Number(m[1]);
}

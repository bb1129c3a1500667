// Post-processing of one stopped recording: janus-pp-rec turns each .mjr into a media file (no
// transcoding), the headers place each on the meeting's timeline, one ffmpeg pass composes the MP4
// (compose.ts) into a temp name that is renamed when complete, and the intermediate files go. Any
// failure becomes a RecordingFailed with a reason a person understands.

import { logger } from "../../lib/common/log.ts";
import type { RecordingConfig } from "./config.ts";
import { compose, type Person, type Track } from "./compose.ts";
import { type Manifest, OUTPUT_FILE, type RecordingFolder, WORK_DIR } from "./manifest.ts";
import { containerFor, convertMjr, MissingTool, mjrInfo } from "./mjr.ts";

const log = logger("recording-job");

export const FFMPEG = Deno.env.get("FFMPEG") ?? "ffmpeg";
const FONTS = [
  "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
  "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
];

/** Processing failed; `reason` is said to the person who recorded. */
export class RecordingFailed extends Error {
  constructor(readonly reason: string, detail?: string) {
    super(detail ? `${reason} (${detail})` : reason);
    this.name = "RecordingFailed";
  }
}

export interface ProcessResult {
  durationSeconds: number;
  sizeBytes: number;
}

export interface ProcessOptions {
  /** 0–100. */
  onProgress?: (percent: number) => void;
  /** Each child process as it starts (the bench reads their peak memory). */
  onSpawn?: (pid: number, tool: "janus-pp-rec" | "ffmpeg") => void;
}

async function findFont(): Promise<string | null> {
  for (const f of FONTS) if (await Deno.stat(f).then(() => true, () => false)) return f;
  return null;
}

const DISK_FULL =
  "The server's disk filled up while the recording was being put together. Free some space and try again.";

function failureReason(err: unknown): RecordingFailed {
  if (err instanceof RecordingFailed) return err;
  if (err instanceof MissingTool) {
    return new RecordingFailed(
      `The server cannot put recordings together: ${err.tool} is not installed (ask the administrator to install ${err.debianPackage}).`,
    );
  }
  const text = String((err as Error)?.message ?? err);
  if (/No space left|ENOSPC|os error 28/i.test(text)) return new RecordingFailed(DISK_FULL, text);
  return new RecordingFailed("The recording could not be put together because of a server error.", text);
}

/** Converts and composes `folder`'s recording into OUTPUT_FILE; throws RecordingFailed. */
export async function processRecording(
  folder: RecordingFolder,
  video: RecordingConfig["video"],
  opts: ProcessOptions = {},
): Promise<ProcessResult> {
  const progress = opts.onProgress ?? (() => {});
  const work = folder.path(WORK_DIR);
  // A restarted job starts over: whatever an earlier attempt left half-written goes first.
  await Deno.remove(work, { recursive: true }).catch(() => {});
  await Deno.remove(folder.path(`${OUTPUT_FILE}.part`)).catch(() => {});
  try {
    await Deno.mkdir(work, { recursive: true });
    const manifest = await folder.readManifest();
    if (!manifest) throw new RecordingFailed("The recording's description is missing, so it cannot be put together.");
    const result = await composeRecording(folder, manifest, work, video, progress, opts.onSpawn);
    // Only the composed file is kept: the sources and intermediates go once it is complete.
    await Deno.remove(work, { recursive: true }).catch(() => {});
    for (const f of await folder.mjrFiles()) await Deno.remove(folder.path(f.name)).catch(() => {});
    return result;
  } catch (err) {
    await Deno.remove(work, { recursive: true }).catch(() => {});
    await Deno.remove(folder.path(`${OUTPUT_FILE}.part`)).catch(() => {});
    throw failureReason(err);
  }
}

async function composeRecording(
  folder: RecordingFolder,
  manifest: Manifest,
  work: string,
  video: RecordingConfig["video"],
  progress: (percent: number) => void,
  onSpawn: ProcessOptions["onSpawn"],
): Promise<ProcessResult> {
  // 1. Headers: kind, first-packet time and duration of every file that has media.
  const usable = [];
  for (const f of manifest.files) {
    const path = folder.path(f.file);
    if (!(await Deno.stat(path).then((s) => s.size > 0, () => false))) continue;
    const info = await mjrInfo(path);
    if (!info.packets || !info.durationSeconds || !containerFor(info)) {
      log.info("file without usable media left out", { file: f.file, packets: info.packets, codec: info.codec });
      continue;
    }
    usable.push({ file: f, info });
  }
  if (!usable.length) {
    throw new RecordingFailed(
      "Nothing was recorded: nobody had a camera, microphone or screen share on while recording.",
    );
  }
  const t0 = Math.min(...usable.map((u) => u.info.firstPacketUs));

  // 2. janus-pp-rec: each file into a container ffmpeg reads (re-ordered packets, no transcoding).
  const people = new Map<string, Person>();
  const screens: Track[] = [];
  let done = 0;
  for (const { file, info } of usable) {
    const out = `${work}/${file.file.replace(/\.mjr$/, "")}.${containerFor(info)}`;
    await convertMjr(folder.path(file.file), out, onSpawn ? (pid) => onSpawn(pid, "janus-pp-rec") : undefined);
    progress(Math.round((++done / usable.length) * 10));
    const track: Track = { path: out, offset: (info.firstPacketUs - t0) / 1e6, duration: info.durationSeconds! };
    if (file.kind === "screen") {
      screens.push(track);
      continue;
    }
    let person = people.get(file.participantId);
    if (!person) {
      person = {
        participantId: file.participantId,
        name: manifest.names[file.participantId] ?? file.name,
        cameras: [],
        audios: [],
        talking: [],
      };
      people.set(file.participantId, person);
    }
    (file.kind === "camera" ? person.cameras : person.audios).push(track);
  }
  for (const span of manifest.talking) {
    people.get(span.participantId)?.talking.push({
      from: (span.from * 1000 - t0) / 1e6,
      to: (span.to * 1000 - t0) / 1e6,
    });
  }
  const duration = Math.max(
    ...[...people.values()].flatMap((p) => [...p.cameras, ...p.audios]).concat(screens).map((t) =>
      t.offset + t.duration
    ),
  );

  // 3. One ffmpeg pass into a temp name, renamed when complete.
  const part = folder.path(`${OUTPUT_FILE}.part`);
  const plan = compose({
    people: [...people.values()].sort((a, b) => a.name.localeCompare(b.name)),
    screens,
    duration,
    video,
    font: await findFont(),
    nameFile: (i) => `${work}/name-${i}.txt`,
    output: part,
  });
  for (const t of plan.textFiles) await Deno.writeTextFile(t.path, t.text);
  const script = `${work}/filter.txt`;
  await Deno.writeTextFile(script, plan.filterGraph);
  await runFfmpeg(
    plan.args.map((a) => (a === "FILTER_SCRIPT" ? script : a)),
    duration,
    (p) => progress(10 + p * 0.89),
    onSpawn,
  );
  const final = folder.path(OUTPUT_FILE);
  await Deno.rename(part, final);
  progress(100);
  return { durationSeconds: Math.round(duration * 10) / 10, sizeBytes: (await Deno.stat(final)).size };
}

/** Runs ffmpeg, reporting 0–100 from its `-progress` output; throws with its last words. */
async function runFfmpeg(
  args: string[],
  duration: number,
  progress: (percent: number) => void,
  onSpawn: ProcessOptions["onSpawn"],
): Promise<void> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(FFMPEG, { args, stdout: "piped", stderr: "piped", stdin: "null" }).spawn();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) throw new MissingTool("ffmpeg", "ffmpeg");
    throw err;
  }
  onSpawn?.(child.pid, "ffmpeg");
  let stderr = "";
  const readErr = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) stderr = (stderr + chunk).slice(-8000);
  })();
  let buffer = "";
  for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    const lines = buffer.split("\n");
    buffer = lines.pop() ?? "";
    for (const line of lines) {
      const m = /^out_time_us=(\d+)/.exec(line);
      if (m) progress(Math.min(100, (Number(m[1]) / 1e6 / duration) * 100));
    }
  }
  const status = await child.status;
  await readErr;
  if (!status.success) {
    const last = stderr.trim().split("\n").filter((l) => l.trim()).slice(-3).join(" / ");
    if (/No space left/i.test(stderr)) throw new RecordingFailed(DISK_FULL, last);
    throw new RecordingFailed("The recording could not be put together (ffmpeg failed).", last);
  }
}

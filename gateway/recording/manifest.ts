// A recording on disk: one folder per recording under RECORDINGS_DIR with Janus's .mjr files, the
// manifest (recording.json: who each file belongs to, when it started and stopped) and the job
// state (job.json: recording → processing → ready | failed). Both are written atomically (a temp
// file, then rename), so a gateway killed at any moment leaves the old or the new version, never half.

import { logger } from "../../lib/common/log.ts";

const log = logger("recording");

export const MANIFEST_FILE = "recording.json";
export const JOB_FILE = "job.json";
/** The composed video's final name; it exists only once complete (written as OUTPUT_FILE + ".part"). */
export const OUTPUT_FILE = "recording.mp4";
/** Intermediate files of post-processing (janus-pp-rec's output, name cards), removed at the end. */
export const WORK_DIR = "work";

export type FileKind = "camera" | "screen" | "audio" | "phone";

export interface RecordedFile {
  /** The .mjr file's name in the recording's folder. */
  file: string;
  participantId: string;
  /** The person's name as the web app gave it (or the caller's display for phones). */
  name: string;
  kind: FileKind;
  /** VideoRoom feed id (browser streams) or null (phones). */
  feedId: number | null;
  /** Milliseconds since the epoch: first seen, and last seen growing. Processing uses the files' own timestamps. */
  startedAt: number;
  stoppedAt: number | null;
}

export interface TalkingSpan {
  participantId: string;
  from: number;
  to: number;
}

export type StopReason = "requested" | "disk-low" | "meeting-ended" | "gateway-restart";

export interface Manifest {
  version: 1;
  recordingId: string;
  meetingId: string;
  startedAt: number;
  stoppedAt: number | null;
  stopReason: StopReason | null;
  /** participantId → name, from the web app (start, and later joiners). */
  names: Record<string, string>;
  files: RecordedFile[];
  /** Who talked when (Janus's talking events), for the active-speaker highlight. */
  talking: TalkingSpan[];
}

export type JobState = "recording" | "queued" | "processing" | "ready" | "failed";

export interface JobStatus {
  state: JobState;
  /** 0–100 while processing. */
  progress: number;
  /** Why it failed, in words a person understands. */
  reason: string | null;
  durationSeconds: number | null;
  sizeBytes: number | null;
  /** How many times processing started (a restart during processing starts it again). */
  attempts: number;
  /** The janus-pp-rec or ffmpeg process working on it now: a restarted gateway ends one left behind. */
  pid?: number | null;
  updatedAt: number;
}

/** Writes JSON to `path` atomically: a temp file in the same folder, synced, then renamed over it. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  const file = await Deno.open(tmp, { write: true, create: true, truncate: true });
  try {
    await file.write(new TextEncoder().encode(JSON.stringify(value, null, 1)));
    await file.sync();
  } finally {
    file.close();
  }
  try {
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
}

export async function readJson<T>(path: string): Promise<T | null> {
  try {
    return JSON.parse(await Deno.readTextFile(path)) as T;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    log.warn("unreadable recording file", { path, error: String(err) });
    return null;
  }
}

/** A recording's folder: its manifest and job state, read and written as whole files. */
export class RecordingFolder {
  constructor(readonly dir: string) {}

  get recordingId(): string {
    return this.dir.slice(this.dir.lastIndexOf("/") + 1);
  }

  path(name: string): string {
    return `${this.dir}/${name}`;
  }

  readManifest(): Promise<Manifest | null> {
    return readJson<Manifest>(this.path(MANIFEST_FILE));
  }

  writeManifest(m: Manifest): Promise<void> {
    return writeJsonAtomic(this.path(MANIFEST_FILE), m);
  }

  readJob(): Promise<JobStatus | null> {
    return readJson<JobStatus>(this.path(JOB_FILE));
  }

  writeJob(job: JobStatus): Promise<void> {
    return writeJsonAtomic(this.path(JOB_FILE), { ...job, updatedAt: Date.now() });
  }

  /** The .mjr files in the folder, by name. */
  async mjrFiles(): Promise<{ name: string; size: number }[]> {
    const out: { name: string; size: number }[] = [];
    for await (const e of Deno.readDir(this.dir)) {
      if (!e.isFile || !e.name.endsWith(".mjr")) continue;
      const st = await Deno.stat(this.path(e.name)).catch(() => null);
      if (st) out.push({ name: e.name, size: st.size });
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }
}

export function newJob(state: JobState): JobStatus {
  return {
    state,
    progress: 0,
    reason: null,
    durationSeconds: null,
    sizeBytes: null,
    attempts: 0,
    updatedAt: Date.now(),
  };
}

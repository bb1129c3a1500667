// What the HTTP API asks of recordings: start, stop, names, status, the finished file, delete. It
// joins the recorder (Janus's recorders while a meeting is recorded) and the processing queue.

import { Conflict, NotFound } from "../../lib/common/errors.ts";
import type { RecordingStatus } from "../../lib/contracts/gateway_api.ts";
import type { AudioBridgeManager } from "../plugins/audiobridge.ts";
import type { VideoRoomManager } from "../plugins/videoroom.ts";
import type { RecordingConfig } from "./config.ts";
import { RecordingJobs } from "./jobs.ts";
import { type JobStatus, type Manifest, OUTPUT_FILE, RecordingFolder } from "./manifest.ts";
import { type ProcessOptions, processRecording } from "./processor.ts";
import { Recorder } from "./recorder.ts";

export interface RecordingsDeps {
  config: RecordingConfig;
  rooms: VideoRoomManager;
  bridges: AudioBridgeManager;
  freeMb?: (dir: string) => Promise<number>;
  /** Recording of a meeting started (true) or stopped, for whatever reason: its callers are told. */
  announce?: (meetingId: string, on: boolean) => void;
}

export class Recordings {
  readonly recorder: Recorder;
  readonly jobs: RecordingJobs;
  #config: RecordingConfig;
  #announce: RecordingsDeps["announce"];

  constructor(deps: RecordingsDeps) {
    this.#config = deps.config;
    this.#announce = deps.announce;
    this.jobs = new RecordingJobs({
      concurrency: deps.config.jobs,
      process: (folder: RecordingFolder, opts: ProcessOptions) => processRecording(folder, deps.config.video, opts),
    });
    this.recorder = new Recorder({
      config: deps.config,
      rooms: deps.rooms,
      bridges: deps.bridges,
      freeMb: deps.freeMb,
      stopped: (folder, meetingId) => {
        this.jobs.enqueue(folder);
        deps.announce?.(meetingId, false);
      },
    });
  }

  /** At start: unfinished recordings of an earlier run go back in the queue. */
  async resume(): Promise<number> {
    await Deno.mkdir(this.#config.dir, { recursive: true });
    return await this.jobs.resume(this.#config.dir);
  }

  async start(meetingId: string, recordingId: string, names: Record<string, string>): Promise<RecordingStatus> {
    await this.recorder.start(meetingId, recordingId, names);
    this.#announce?.(meetingId, true);
    return await this.status(recordingId);
  }

  /** Whether the meeting is being recorded now. */
  isRecording(meetingId: string): boolean {
    return this.recorder.activeFor(meetingId) !== null;
  }

  /** Stops the meeting's recording; NotFound when it is not being recorded. */
  async stop(meetingId: string): Promise<RecordingStatus> {
    const id = await this.recorder.stop(meetingId, "requested");
    if (!id) throw new NotFound("this meeting is not being recorded");
    return await this.status(id);
  }

  /** The meeting ended: a recording of it stops and goes to processing (no-op otherwise). */
  async meetingEnded(meetingId: string): Promise<void> {
    await this.recorder.stop(meetingId, "meeting-ended");
  }

  addNames(recordingId: string, names: Record<string, string>): Promise<void> {
    return this.recorder.addNames(recordingId, names);
  }

  async #read(recordingId: string): Promise<{ folder: RecordingFolder; manifest: Manifest; job: JobStatus }> {
    const folder = this.recorder.folder(recordingId);
    const [manifest, job] = await Promise.all([folder.readManifest(), folder.readJob()]);
    if (!manifest || !job) throw new NotFound("no such recording");
    return { folder, manifest, job };
  }

  async status(recordingId: string): Promise<RecordingStatus> {
    const { manifest, job } = await this.#read(recordingId);
    const live = this.jobs.progress(recordingId);
    const state = job.state === "queued" ? "processing" : job.state;
    return {
      recordingId,
      meetingId: manifest.meetingId,
      state,
      progress: state === "processing" ? live ?? job.progress : state === "ready" ? 100 : null,
      startedAt: new Date(manifest.startedAt).toISOString(),
      stoppedAt: manifest.stoppedAt ? new Date(manifest.stoppedAt).toISOString() : null,
      stopReason: manifest.stopReason,
      durationSeconds: state === "ready"
        ? job.durationSeconds
        : manifest.stoppedAt
        ? Math.round((manifest.stoppedAt - manifest.startedAt) / 1000)
        : Math.round((Date.now() - manifest.startedAt) / 1000),
      sizeBytes: state === "ready" ? job.sizeBytes : null,
      reason: state === "failed" ? job.reason : null,
    };
  }

  /** Recordings of one meeting (newest first), from the folders on disk. */
  async list(meetingId: string): Promise<RecordingStatus[]> {
    const out: RecordingStatus[] = [];
    for await (const e of Deno.readDir(this.#config.dir)) {
      if (!e.isDirectory) continue;
      const manifest = await new RecordingFolder(`${this.#config.dir}/${e.name}`).readManifest();
      if (manifest?.meetingId === meetingId) out.push(await this.status(e.name).catch(() => null) as RecordingStatus);
    }
    return out.filter(Boolean).sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  }

  /** The composed MP4's path; Conflict until it is ready. */
  async filePath(recordingId: string): Promise<string> {
    const { folder, job } = await this.#read(recordingId);
    if (job.state !== "ready") throw new Conflict("the recording is not ready yet");
    return folder.path(OUTPUT_FILE);
  }

  /** Deletes a recording and every file of it; Conflict while it is recorded or being processed. */
  async delete(recordingId: string): Promise<void> {
    const { folder } = await this.#read(recordingId);
    if (this.recorder.isRecording(recordingId)) throw new Conflict("stop the recording before deleting it");
    if (!this.jobs.cancel(recordingId)) {
      throw new Conflict("the recording is being processed; delete it when it is done");
    }
    await Deno.remove(folder.dir, { recursive: true });
  }
}

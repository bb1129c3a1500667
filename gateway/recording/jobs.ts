// The post-processing queue: stopped recordings wait their turn, RECORDING_JOBS of them run at
// once, and each job's state lives in its folder (job.json), so a gateway that restarts finds every
// recording where it was: one still "recording" (the gateway died mid-meeting) is closed and queued,
// a queued or half-processed one starts over (nothing half-written is ever served: the MP4 only gets
// its name when complete), ready and failed ones stay as they are.

import { logger } from "../../lib/common/log.ts";
import { type JobStatus, newJob, RecordingFolder } from "./manifest.ts";
import { type ProcessOptions, type ProcessResult, RecordingFailed } from "./processor.ts";

const log = logger("recording-jobs");

export type ProcessFn = (folder: RecordingFolder, opts: ProcessOptions) => Promise<ProcessResult>;

/**
 * Ends a janus-pp-rec or ffmpeg that a killed gateway left working on `dir` (it would go on writing
 * into files the restarted job replaces). Only a process whose command line names the folder.
 */
async function killLeftover(pid: number, dir: string): Promise<void> {
  const cmdline = await Deno.readTextFile(`/proc/${pid}/cmdline`).catch(() => "");
  if (!cmdline.includes(dir)) return;
  try {
    Deno.kill(pid, "SIGKILL");
    log.info("left-over processing stopped", { pid, dir });
  } catch { /* gone meanwhile */ }
}

export class RecordingJobs {
  #waiting: RecordingFolder[] = [];
  #running = new Set<string>();
  #concurrency: number;
  #process: ProcessFn;
  #idle: (() => void)[] = [];
  /** Progress in memory; job.json is written when it moves by 5 points or more. */
  #progress = new Map<string, number>();
  #stopped = false;

  constructor(opts: { concurrency: number; process: ProcessFn }) {
    this.#concurrency = opts.concurrency;
    this.#process = opts.process;
  }

  /** Live progress of a running job (job.json lags a little behind). */
  progress(recordingId: string): number | null {
    return this.#progress.get(recordingId) ?? null;
  }

  isQueuedOrRunning(recordingId: string): boolean {
    return this.#running.has(recordingId) || this.#waiting.some((f) => f.recordingId === recordingId);
  }

  enqueue(folder: RecordingFolder): void {
    if (this.isQueuedOrRunning(folder.recordingId)) return;
    this.#waiting.push(folder);
    this.#pump();
  }

  /** Forgets a waiting job (its recording is being deleted); false when it is running. */
  cancel(recordingId: string): boolean {
    if (this.#running.has(recordingId)) return false;
    this.#waiting = this.#waiting.filter((f) => f.recordingId !== recordingId);
    return true;
  }

  /** After a gateway (re)start: puts every unfinished recording under `dir` back in the queue. */
  async resume(dir: string): Promise<number> {
    let resumed = 0;
    let entries: Deno.DirEntry[] = [];
    try {
      entries = await Array.fromAsync(Deno.readDir(dir));
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return 0;
      throw err;
    }
    for (const e of entries.filter((e) => e.isDirectory).sort((a, b) => a.name.localeCompare(b.name))) {
      const folder = new RecordingFolder(`${dir}/${e.name}`);
      const job = await folder.readJob();
      if (!job || job.state === "ready" || job.state === "failed") continue;
      if (job.pid) await killLeftover(job.pid, folder.dir);
      if (job.state === "recording") {
        // The gateway died while recording (Janus went with it and closed the files).
        const manifest = await folder.readManifest();
        if (manifest) {
          manifest.stoppedAt ??= job.updatedAt;
          manifest.stopReason ??= "gateway-restart";
          await folder.writeManifest(manifest);
        }
      }
      await folder.writeJob({ ...newJob("queued"), attempts: job.attempts });
      log.info("recording job resumed", { recordingId: folder.recordingId, was: job.state });
      this.enqueue(folder);
      resumed++;
    }
    return resumed;
  }

  /** Resolves when nothing is queued or running (tests, shutdown). */
  whenIdle(): Promise<void> {
    if (!this.#running.size && !this.#waiting.length) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Starts no more jobs; running ones are left to finish or to be resumed after a restart. */
  stop(): void {
    this.#stopped = true;
  }

  #pump() {
    while (!this.#stopped && this.#running.size < this.#concurrency && this.#waiting.length) {
      const folder = this.#waiting.shift()!;
      this.#running.add(folder.recordingId);
      void this.#run(folder).finally(() => {
        this.#running.delete(folder.recordingId);
        this.#progress.delete(folder.recordingId);
        this.#pump();
        if (!this.#running.size && !this.#waiting.length) { for (const r of this.#idle.splice(0)) r(); }
      });
    }
  }

  async #run(folder: RecordingFolder) {
    const id = folder.recordingId;
    const before = await folder.readJob();
    if (!before) return; // deleted meanwhile
    let job: JobStatus = { ...newJob("processing"), attempts: before.attempts + 1 };
    await folder.writeJob(job);
    const started = performance.now();
    log.info("processing recording", { recordingId: id, attempt: job.attempts });
    let written = 0;
    // Progress writes in order, and all of them before the final state.
    let writes: Promise<void> = Promise.resolve();
    try {
      const result = await this.#process(folder, {
        onSpawn: (pid) => {
          job = { ...job, pid };
          const snapshot = job;
          writes = writes.then(() => folder.writeJob(snapshot)).catch(() => {});
        },
        onProgress: (p) => {
          this.#progress.set(id, Math.floor(p));
          if (p - written >= 5 && p < 100) {
            written = p;
            job = { ...job, progress: Math.floor(p) };
            const snapshot = job;
            writes = writes.then(() => folder.writeJob(snapshot)).catch(() => {});
          }
        },
      });
      await writes;
      await folder.writeJob({ ...job, state: "ready", progress: 100, pid: null, ...result });
      log.info("recording ready", {
        recordingId: id,
        ...result,
        seconds: Math.round((performance.now() - started) / 100) / 10,
      });
    } catch (err) {
      const reason = err instanceof RecordingFailed
        ? err.reason
        : "The recording could not be put together because of a server error.";
      log.error("recording failed", { recordingId: id, error: String((err as Error).message ?? err) });
      await writes;
      // A folder deleted while it was processed has nothing to write the failure into.
      if (await Deno.stat(folder.dir).then(() => true, () => false)) {
        await folder.writeJob({ ...job, state: "failed", pid: null, reason });
      }
    }
  }
}

// Recording control: starts and stops Janus's own recorders for a meeting. The VideoRoom records
// every publisher's streams (camera, microphone and screen share, each its own .mjr, later joiners
// too); the SIP bridge's AudioBridge records each phone caller (gateway/plugins/audiobridge.ts says
// why only callers). While recording, a tick every two seconds names new files in the manifest,
// notes when each last grew, and watches free space: below the floor the recording stops cleanly.

import { Conflict, NotFound } from "../../lib/common/errors.ts";
import { logger } from "../../lib/common/log.ts";
import type { AudioBridgeManager, CallerRecording } from "../plugins/audiobridge.ts";
import type { RoomObserver, VideoRoomManager } from "../plugins/videoroom.ts";
import { PHONE_FEED_DISPLAY } from "../bridge/bridge.ts";
import type { RecordingConfig } from "./config.ts";
import { freeMb } from "./disk.ts";
import { type Manifest, newJob, type RecordedFile, RecordingFolder, type StopReason } from "./manifest.ts";
import { mjrInfo } from "./mjr.ts";

const log = logger("recording");

const TICK_MS = 2000;
/** Janus's own name for a VideoRoom publisher's stream recording (janus_videoroom_recorder_create). */
const VIDEOROOM_FILE = /^videoroom-\d+-user-(\d+)-\d+-(audio|video|data)-\d+\.mjr$/;

export interface RecorderDeps {
  config: RecordingConfig;
  rooms: VideoRoomManager;
  bridges: AudioBridgeManager;
  /** A stopped recording (of `meetingId`, for whatever reason) goes to post-processing. */
  stopped(folder: RecordingFolder, meetingId: string): void;
  /** Free MiB in the recordings directory (tests may pass their own). */
  freeMb?: (dir: string) => Promise<number>;
}

class ActiveRecording {
  observer: RoomObserver | null = null;
  timer: ReturnType<typeof setInterval> | null = null;
  /** Feed id → display of publishers the observer saw (remote publishers are not admitted participants). */
  displays = new Map<number, string>();
  talkingSince = new Map<string, number>();
  /** File name → size at the last tick. */
  sizes = new Map<string, number>();
  phoneFiles = 0;
  /** Files left out for good (the phone mix, data channels). */
  skipped = new Set<string>();
  /** Manifest writes one at a time, in order. */
  #writes: Promise<void> = Promise.resolve();
  stopping = false;

  constructor(readonly folder: RecordingFolder, readonly manifest: Manifest) {}

  save(): Promise<void> {
    const snapshot = structuredClone(this.manifest);
    this.#writes = this.#writes.then(() => this.folder.writeManifest(snapshot)).catch((err) =>
      log.error("manifest not written", { recordingId: snapshot.recordingId, error: String(err) })
    );
    return this.#writes;
  }
}

export class Recorder {
  #deps: RecorderDeps;
  #active = new Map<string, ActiveRecording>();

  constructor(deps: RecorderDeps) {
    this.#deps = deps;
  }

  folder(recordingId: string): RecordingFolder {
    return new RecordingFolder(`${this.#deps.config.dir}/${recordingId}`);
  }

  /** The meeting's recording in progress, or null. */
  activeFor(meetingId: string): string | null {
    return this.#active.get(meetingId)?.manifest.recordingId ?? null;
  }

  isRecording(recordingId: string): boolean {
    return [...this.#active.values()].some((a) => a.manifest.recordingId === recordingId);
  }

  /**
   * Starts recording the meeting's room into a new folder. Idempotent for the same recording id;
   * refused (Conflict) while another recording of the meeting runs, for an id already used, or when
   * free space is below RECORDINGS_MIN_FREE_MB. The room must exist (404 otherwise).
   */
  async start(meetingId: string, recordingId: string, names: Record<string, string>): Promise<Manifest> {
    const running = this.#active.get(meetingId);
    if (running) {
      if (running.manifest.recordingId === recordingId) return running.manifest;
      throw new Conflict("this meeting is already being recorded");
    }
    const { config } = this.#deps;
    await Deno.mkdir(config.dir, { recursive: true });
    const free = await (this.#deps.freeMb ?? freeMb)(config.dir);
    if (free < config.minFreeMb) {
      throw new Conflict(
        `not enough free disk space to record: ${free} MB free where recordings are kept, at least ${config.minFreeMb} MB needed`,
      );
    }
    const folder = this.folder(recordingId);
    try {
      await Deno.mkdir(folder.dir);
    } catch (err) {
      if (err instanceof Deno.errors.AlreadyExists) throw new Conflict("a recording with this id exists already");
      throw err;
    }
    const manifest: Manifest = {
      version: 1,
      recordingId,
      meetingId,
      startedAt: Date.now(),
      stoppedAt: null,
      stopReason: null,
      names: { ...names },
      files: [],
      talking: [],
    };
    const rec = new ActiveRecording(folder, manifest);
    await rec.save();
    await folder.writeJob(newJob("recording"));
    this.#active.set(meetingId, rec);
    try {
      await this.#deps.rooms.setRecording(meetingId, folder.dir);
      await this.#deps.bridges.recordCallers(meetingId, this.#callerSink(rec));
    } catch (err) {
      this.#active.delete(meetingId);
      await this.#deps.rooms.setRecording(meetingId, null).catch(() => {});
      await this.#deps.bridges.recordCallers(meetingId, null).catch(() => {});
      await Deno.remove(folder.dir, { recursive: true }).catch(() => {});
      throw err;
    }
    rec.observer = await this.#deps.rooms.observe(meetingId, {
      publishers: (list) => {
        for (const p of list) rec.displays.set(p.feedId, p.display);
      },
      gone: () => {},
      talking: (feedId, talking) => this.#talking(rec, feedId, talking),
    }).catch((err) => {
      // Only the speaker highlight and room systems' names depend on it.
      log.warn("recording observer not joined", { meetingId, error: String(err) });
      return null;
    });
    rec.timer = setInterval(() => void this.#tick(meetingId, rec), TICK_MS);
    log.info("recording started", { meetingId, recordingId, freeMb: free });
    return manifest;
  }

  /** Adds names of people who joined after the start (participantId → name). */
  async addNames(recordingId: string, names: Record<string, string>): Promise<void> {
    const rec = [...this.#active.values()].find((a) => a.manifest.recordingId === recordingId);
    if (rec) {
      Object.assign(rec.manifest.names, names);
      await rec.save();
      return;
    }
    const folder = this.folder(recordingId);
    const manifest = await folder.readManifest();
    if (!manifest) throw new NotFound("no such recording");
    Object.assign(manifest.names, names);
    await folder.writeManifest(manifest);
  }

  /**
   * Stops the meeting's recording: Janus closes every file, the manifest gets its stop time and
   * reason, and the recording goes to post-processing. Answers the recording id, or null when the
   * meeting was not being recorded (idempotent).
   */
  async stop(meetingId: string, reason: StopReason): Promise<string | null> {
    const rec = this.#active.get(meetingId);
    if (!rec || rec.stopping) return rec?.manifest.recordingId ?? null;
    rec.stopping = true;
    if (rec.timer !== null) clearInterval(rec.timer);
    // The room may be gone already (the meeting ended): its files are closed then anyway.
    await this.#deps.rooms.setRecording(meetingId, null).catch((err) =>
      log.warn("VideoRoom recording not turned off", { meetingId, error: String(err) })
    );
    await this.#deps.bridges.recordCallers(meetingId, null).catch((err) =>
      log.warn("caller recording not turned off", { meetingId, error: String(err) })
    );
    await rec.observer?.close();
    const now = Date.now();
    for (const [participantId, from] of rec.talkingSince) rec.manifest.talking.push({ participantId, from, to: now });
    await this.#scan(meetingId, rec);
    rec.manifest.stoppedAt = now;
    rec.manifest.stopReason = reason;
    await rec.save();
    await rec.folder.writeJob(newJob("queued"));
    this.#active.delete(meetingId);
    log.info("recording stopped", { meetingId, recordingId: rec.manifest.recordingId, reason });
    this.#deps.stopped(rec.folder, meetingId);
    return rec.manifest.recordingId;
  }

  /** Stops every recording (gateway shutdown): each goes to processing, which a restart resumes. */
  async stopAll(reason: StopReason): Promise<void> {
    for (const meetingId of [...this.#active.keys()]) await this.stop(meetingId, reason);
  }

  #callerSink(rec: ActiveRecording): CallerRecording {
    const keyToParticipant = (key: string) => key.replace(/[^A-Za-z0-9_-]/g, "-");
    return {
      fileBase: () => rec.folder.path(`phone-${++rec.phoneFiles}`),
      started: (key, display, file) => {
        const name = file.slice(file.lastIndexOf("/") + 1);
        if (rec.manifest.files.some((f) => f.file === name)) return;
        const now = Date.now();
        rec.manifest.files.push({
          file: name,
          participantId: keyToParticipant(key),
          name: display,
          kind: "phone",
          feedId: null,
          startedAt: now,
          stoppedAt: null,
        });
        void rec.save();
      },
      ended: (key) => {
        for (const f of rec.manifest.files) {
          if (f.kind === "phone" && f.participantId === keyToParticipant(key) && f.stoppedAt === null) {
            f.stoppedAt = Date.now();
          }
        }
        void rec.save();
      },
    };
  }

  #talking(rec: ActiveRecording, feedId: number, talking: boolean) {
    const participantId = this.#deps.rooms.feedParticipants(rec.manifest.meetingId).get(feedId);
    if (!participantId) return;
    const since = rec.talkingSince.get(participantId);
    if (talking && since === undefined) rec.talkingSince.set(participantId, Date.now());
    if (!talking && since !== undefined) {
      rec.talkingSince.delete(participantId);
      rec.manifest.talking.push({ participantId, from: since, to: Date.now() });
    }
  }

  async #tick(meetingId: string, rec: ActiveRecording) {
    if (rec.stopping) return;
    try {
      await this.#scan(meetingId, rec);
      await rec.save();
      const free = await (this.#deps.freeMb ?? freeMb)(this.#deps.config.dir);
      if (free < this.#deps.config.stopFreeMb) {
        log.warn("disk nearly full: stopping the recording", { meetingId, freeMb: free });
        await this.stop(meetingId, "disk-low");
      }
    } catch (err) {
      log.error("recording tick failed", { meetingId, error: String(err) });
    }
  }

  /** Names new files in the manifest and notes when each last grew. */
  async #scan(meetingId: string, rec: ActiveRecording) {
    const feeds = this.#deps.rooms.feedParticipants(meetingId);
    const now = Date.now();
    for (const { name, size } of await rec.folder.mjrFiles()) {
      const known = rec.manifest.files.find((f) => f.file === name);
      const before = rec.sizes.get(name);
      rec.sizes.set(name, size);
      if (known) {
        if (before !== undefined && size > before) known.stoppedAt = now;
        continue;
      }
      if (rec.skipped.has(name)) continue;
      const m = VIDEOROOM_FILE.exec(name);
      if (!m || m[2] === "data") {
        rec.skipped.add(name);
        continue;
      }
      const feedId = Number(m[1]);
      // Remote publishers are not admitted participants: a room system's camera carries its
      // participant id as display; the phone mix is left out (each caller has their own file).
      const display = rec.displays.get(feedId);
      const participantId = feeds.get(feedId) ?? display;
      if (display === PHONE_FEED_DISPLAY) rec.skipped.add(name);
      if (!participantId || display === PHONE_FEED_DISPLAY) continue;
      // The header is written with the first packet; until then the kind is not known.
      const info = size > 10 ? await mjrInfo(rec.folder.path(name), { headerOnly: true }).catch(() => null) : null;
      if (!info) continue;
      if (info.description === PHONE_FEED_DISPLAY) {
        rec.skipped.add(name);
        continue;
      }
      const file: RecordedFile = {
        file: name,
        participantId,
        name: rec.manifest.names[participantId] ?? participantId,
        kind: info.type === "audio" ? "audio" : info.description === "screen" ? "screen" : "camera",
        feedId,
        startedAt: now,
        stoppedAt: now,
      };
      rec.manifest.files.push(file);
      log.info("recording file", { meetingId, file: name, participantId, kind: file.kind });
    }
  }
}

// Cameras, microphones and speakers: capture with per-device error messages a person can act on,
// device lists, and a microphone level meter (WebAudio AnalyserNode). Browser only, no UI.

import type { Translate } from "../../i18n/client.ts";
export type MediaProblem = "denied" | "missing" | "busy" | "unsupported" | "failed";

export interface LocalMedia {
  audio: MediaStreamTrack | null;
  video: MediaStreamTrack | null;
  problems: { microphone?: MediaProblem; camera?: MediaProblem };
}

export interface CaptureRequest {
  audio: boolean;
  video: boolean;
  audioDeviceId?: string;
  videoDeviceId?: string;
}

/** The kind of a getUserMedia/getDisplayMedia failure. */
export function classifyMediaError(err: unknown): MediaProblem {
  const name = (err as { name?: string })?.name ?? "";
  switch (name) {
    case "NotAllowedError":
    case "PermissionDeniedError":
    case "SecurityError":
      return "denied";
    case "NotFoundError":
    case "DevicesNotFoundError":
    case "OverconstrainedError":
      return "missing";
    case "NotReadableError":
    case "TrackStartError":
    case "AbortError":
      return "busy";
    case "TypeError":
      return "unsupported";
    default:
      return "failed";
  }
}

/** What to tell the person about a device problem. */
/** What to tell the person about a device problem, in the page's language (`t`). */
export function problemMessage(device: "camera" | "microphone", problem: MediaProblem, t: Translate): string {
  const which = device === "camera" ? "Camera" : "Microphone";
  switch (problem) {
    case "denied":
      return t(`room.probDenied${which}`);
    case "missing":
      return t(`room.probMissing${which}`);
    case "busy":
      return t(`room.probBusy${which}`);
    case "unsupported":
      return t(`room.probUnsupported${which}`);
    default:
      return t(`room.probFailed${which}`);
  }
}

export const CAMERA_CONSTRAINTS: MediaTrackConstraints = {
  width: { ideal: 1280 },
  height: { ideal: 720 },
  frameRate: { ideal: 30, max: 30 },
};

const AUDIO_CONSTRAINTS: MediaTrackConstraints = {
  echoCancellation: true,
  noiseSuppression: true,
  autoGainControl: true,
};

/**
 * Captures what `req` asks for. One combined prompt first; when that fails, each device separately,
 * so a denied camera still leaves a working microphone (and the reasons are told apart).
 */
export async function captureLocalMedia(req: CaptureRequest): Promise<LocalMedia> {
  const out: LocalMedia = { audio: null, video: null, problems: {} };
  if (!req.audio && !req.video) return out;
  const md = typeof navigator !== "undefined" ? navigator.mediaDevices : undefined;
  if (!md?.getUserMedia) {
    if (req.audio) out.problems.microphone = "unsupported";
    if (req.video) out.problems.camera = "unsupported";
    return out;
  }
  const audio = req.audio ? audioConstraints(req.audioDeviceId) : false;
  const video = req.video ? videoConstraints(req.videoDeviceId) : false;
  try {
    const stream = await md.getUserMedia({ audio, video });
    out.audio = stream.getAudioTracks()[0] ?? null;
    out.video = stream.getVideoTracks()[0] ?? null;
    return out;
  } catch (err) {
    if (!(req.audio && req.video)) {
      if (req.audio) out.problems.microphone = classifyMediaError(err);
      else out.problems.camera = classifyMediaError(err);
      return out;
    }
  }
  try {
    out.audio = (await md.getUserMedia({ audio })).getAudioTracks()[0] ?? null;
  } catch (err) {
    out.problems.microphone = classifyMediaError(err);
  }
  try {
    out.video = (await md.getUserMedia({ video })).getVideoTracks()[0] ?? null;
  } catch (err) {
    out.problems.camera = classifyMediaError(err);
  }
  return out;
}

function audioConstraints(deviceId?: string): MediaTrackConstraints {
  return deviceId ? { ...AUDIO_CONSTRAINTS, deviceId: { exact: deviceId } } : AUDIO_CONSTRAINTS;
}

function videoConstraints(deviceId?: string): MediaTrackConstraints {
  return deviceId ? { ...CAMERA_CONSTRAINTS, deviceId: { exact: deviceId } } : CAMERA_CONSTRAINTS;
}

/** Starts screen capture; null when the person cancelled the browser's picker. */
export async function captureScreen(): Promise<MediaStreamTrack | null> {
  const md = navigator.mediaDevices;
  if (!md?.getDisplayMedia) throw new Error("This browser can't share the screen.");
  try {
    const stream = await md.getDisplayMedia({ video: { frameRate: { ideal: 15, max: 30 } }, audio: false });
    const track = stream.getVideoTracks()[0] ?? null;
    if (track) track.contentHint = "detail";
    return track;
  } catch (err) {
    if (classifyMediaError(err) === "denied") return null;
    throw err;
  }
}

export interface DeviceOption {
  deviceId: string;
  label: string;
}

export interface DeviceLists {
  cameras: DeviceOption[];
  microphones: DeviceOption[];
  speakers: DeviceOption[];
}

/** Lists devices (labels are only known after a permission was granted). */
export async function listDevices(): Promise<DeviceLists> {
  const out: DeviceLists = { cameras: [], microphones: [], speakers: [] };
  const md = typeof navigator !== "undefined" ? navigator.mediaDevices : undefined;
  if (!md?.enumerateDevices) return out;
  const devices = await md.enumerateDevices();
  for (const d of devices) {
    if (!d.deviceId) continue;
    const list = d.kind === "videoinput" ? out.cameras : d.kind === "audioinput" ? out.microphones : out.speakers;
    list.push({ deviceId: d.deviceId, label: d.label || fallbackLabel(d.kind, list.length + 1) });
  }
  return out;
}

function fallbackLabel(kind: MediaDeviceKind, n: number): string {
  return `${kind === "videoinput" ? "Camera" : kind === "audioinput" ? "Microphone" : "Speaker"} ${n}`;
}

/** Whether audio output can be chosen (HTMLMediaElement.setSinkId). */
export function canChooseSpeaker(): boolean {
  return typeof HTMLMediaElement !== "undefined" && "setSinkId" in HTMLMediaElement.prototype;
}

/** Root-mean-square of time-domain samples in [-1, 1], scaled so speech lands around 0.3-0.8. */
export function levelFromSamples(samples: Float32Array): number {
  if (samples.length === 0) return 0;
  let sum = 0;
  for (const s of samples) sum += s * s;
  const rms = Math.sqrt(sum / samples.length);
  return Math.min(1, rms * 4);
}

/** Live microphone level (0-1) of one track. */
export class MicLevelMeter {
  #ctx: AudioContext;
  #analyser: AnalyserNode;
  #source: MediaStreamAudioSourceNode;
  #buf: Float32Array<ArrayBuffer>;

  constructor(track: MediaStreamTrack) {
    this.#ctx = new AudioContext();
    this.#analyser = this.#ctx.createAnalyser();
    this.#analyser.fftSize = 512;
    this.#buf = new Float32Array(this.#analyser.fftSize);
    this.#source = this.#ctx.createMediaStreamSource(new MediaStream([track]));
    this.#source.connect(this.#analyser);
  }

  level(): number {
    // resume() rejects only once the context is closed; the meter then reads silence, which is true.
    if (this.#ctx.state === "suspended") this.#ctx.resume().catch(() => {});
    this.#analyser.getFloatTimeDomainData(this.#buf);
    return levelFromSamples(this.#buf);
  }

  close() {
    this.#source.disconnect();
    this.#ctx.close().catch(() => {}); // rejects only when already closed: nothing left to release
  }
}

/** Stops a track if there is one. */
export function stopTrack(track: MediaStreamTrack | null | undefined) {
  try {
    track?.stop();
  } catch { /* already stopped */ }
}

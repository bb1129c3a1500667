// Recording settings from the environment (docs/gateway.md's table mirrors this): where recordings
// live, the free-space floor, how many post-processing jobs run at once, and the composed video.

export interface RecordingConfig {
  /** One folder per recording under this directory (absolute once main.ts has resolved it). */
  dir: string;
  /** Starting a recording is refused below this much free space (MiB) in `dir`. */
  minFreeMb: number;
  /** A running recording stops cleanly below this much free space (MiB): a quarter of `minFreeMb`. */
  stopFreeMb: number;
  /** Post-processing jobs that run at the same time. */
  jobs: number;
  /** The composed MP4's picture. */
  video: { width: number; height: number; fps: number; preset: string };
}

const PRESETS = ["ultrafast", "superfast", "veryfast", "faster", "fast", "medium"];

function int(env: Record<string, string | undefined>, name: string, fallback: number, min: number, max: number) {
  const raw = env[name];
  const n = raw === undefined || raw === "" ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

/** Reads the recording settings; throws with the variable's name when one is malformed. */
export function recordingConfig(env: Record<string, string | undefined>, dataDir: string): RecordingConfig {
  const minFreeMb = int(env, "RECORDINGS_MIN_FREE_MB", 2048, 0, 10_000_000);
  const size = env.RECORDING_VIDEO_SIZE || "1280x720";
  const m = /^(\d{3,4})x(\d{3,4})$/.exec(size);
  if (!m || Number(m[1]) % 2 || Number(m[2]) % 2) {
    throw new Error(`RECORDING_VIDEO_SIZE must look like 1280x720 (even numbers), got ${JSON.stringify(size)}`);
  }
  const preset = env.RECORDING_X264_PRESET || "veryfast";
  if (!PRESETS.includes(preset)) {
    throw new Error(`RECORDING_X264_PRESET must be one of ${PRESETS.join(", ")}, got ${JSON.stringify(preset)}`);
  }
  return {
    dir: (env.RECORDINGS_DIR || `${dataDir.replace(/\/+$/, "")}/recordings`).replace(/\/+$/, ""),
    minFreeMb,
    stopFreeMb: Math.floor(minFreeMb / 4),
    jobs: int(env, "RECORDING_JOBS", 1, 1, 16),
    video: {
      width: Number(m[1]),
      height: Number(m[2]),
      fps: int(env, "RECORDING_FPS", 25, 5, 60),
      preset,
    },
  };
}

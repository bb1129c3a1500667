// What this device remembers about a person's media between meetings (localStorage, one JSON
// record): the camera, microphone and speaker they chose, and whether they last joined with the
// camera or microphone off, and the effects they chose (background, enhanced noise suppression). Per device on purpose: device ids mean nothing on another machine.
// Storage can be off (private windows, policies): then nothing is remembered and nothing breaks.

const KEY = "ts-media-prefs";

export interface MediaPrefs {
  camId?: string;
  micId?: string;
  speakerId?: string;
  /** Joined with the camera off last time. */
  cameraOff?: boolean;
  /** Joined with the microphone off last time. */
  micOff?: boolean;
  /** Background effect on the camera. */
  videoEffect?: "none" | "blur" | "image";
  /** Which bundled background image (effects/choices.ts BACKGROUNDS), for videoEffect "image". */
  background?: string;
  /** RNNoise on the microphone ("Enhanced noise suppression"). */
  noiseSuppression?: boolean;
}

/** A field's type, or the only strings it may hold. */
const FIELDS: Record<keyof MediaPrefs, "string" | "boolean" | readonly string[]> = {
  camId: "string",
  micId: "string",
  speakerId: "string",
  cameraOff: "boolean",
  micOff: "boolean",
  videoEffect: ["none", "blur", "image"],
  background: "string",
  noiseSuppression: "boolean",
};

/** The remembered choices; anything malformed (an old or hand-edited record) is left out. */
export function loadPrefs(storage: Pick<Storage, "getItem"> | null = safeStorage()): MediaPrefs {
  let raw: unknown;
  try {
    raw = JSON.parse(storage?.getItem(KEY) ?? "{}");
  } catch {
    return {};
  }
  if (!raw || typeof raw !== "object") return {};
  const out: Record<string, unknown> = {};
  for (const [k, kind] of Object.entries(FIELDS)) {
    const v = (raw as Record<string, unknown>)[k];
    if (
      Array.isArray(kind) ? kind.includes(v) : typeof v === kind && (kind !== "string" || (v as string).length <= 256)
    ) {
      out[k] = v;
    }
  }
  return out as MediaPrefs;
}

/** Merges `change` into the remembered choices. */
export function savePrefs(
  change: MediaPrefs,
  storage: Pick<Storage, "getItem" | "setItem"> | null = safeStorage(),
): void {
  if (!storage) return;
  try {
    storage.setItem(KEY, JSON.stringify({ ...loadPrefs(storage), ...change }));
  } catch { /* full or refused: the choice is simply not remembered */ }
}

function safeStorage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null; // access itself throws when storage is blocked
  }
}

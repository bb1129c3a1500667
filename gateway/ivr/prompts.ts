// Spoken IVR prompts and lobby hold music for SIP callers: prompts are synthesized once with
// espeak-ng, converted by sox to 8 kHz G.711 (μ-law and A-law) raw files in DATA_DIR and cached by
// a hash of their text; a player streams them (or generated hold music) as 20 ms RTP through a relay.

import { logger } from "../../lib/common/log.ts";
import { encodeG711, type G711Codec } from "../rtp/g711.ts";
import type { RtpRelay } from "../rtp/relay.ts";

const log = logger("ivr-prompts");

/** The prompts call control uses; any other text works too. */
export const PROMPTS = {
  welcome: "Welcome to Talkspace. Please enter your meeting ID followed by the pound key.",
  passcode: "Please enter the meeting passcode followed by the pound key.",
  notFound: "Sorry, that meeting ID was not found.",
  wrongPasscode: "Sorry, that passcode is not correct.",
  lobby: "Please wait, the host will let you in soon.",
  ended: "The meeting has ended. Goodbye.",
} as const;

/** Bumped when the synthesis pipeline changes, so old cached files are not reused. */
const PIPELINE_VERSION = "espeak-ng/sox v1";

export interface PromptFiles {
  text: string;
  pcmu: string;
  pcma: string;
  /** Length in samples (= bytes) of each file, 8000 a second. */
  samples: number;
}

async function run(cmd: string, args: string[]) {
  const out = await new Deno.Command(cmd, { args, stdout: "null", stderr: "piped" }).output();
  if (!out.success) throw new Error(`${cmd} failed: ${new TextDecoder().decode(out.stderr).trim()}`);
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

export interface PromptOptions {
  /** espeak-ng voice, e.g. "en-us". */
  voice?: string;
  /** Words per minute. */
  speed?: number;
}

/** Makes (or finds in the cache) the G.711 files for `text` under `${dataDir}/prompts`. Idempotent. */
export async function preparePrompt(dataDir: string, text: string, options: PromptOptions = {}): Promise<PromptFiles> {
  const voice = options.voice ?? "en-us";
  const speed = options.speed ?? 150;
  const dir = `${dataDir.replace(/\/+$/, "")}/prompts`;
  const key = (await sha256Hex(`${PIPELINE_VERSION}\n${voice}\n${speed}\n${text}`)).slice(0, 32);
  const pcmu = `${dir}/${key}.ul`;
  const pcma = `${dir}/${key}.al`;
  try {
    const [u, a] = await Promise.all([Deno.stat(pcmu), Deno.stat(pcma)]);
    if (u.size > 0 && u.size === a.size) return { text, pcmu, pcma, samples: u.size };
  } catch { /* not cached yet */ }
  await Deno.mkdir(dir, { recursive: true });
  const wav = `${dir}/${key}.${crypto.randomUUID()}.wav`;
  try {
    await run("espeak-ng", ["-v", voice, "-s", String(speed), "-w", wav, text]);
    // Written under temporary names and renamed, so a concurrent reader never sees half a file.
    const tmpU = `${pcmu}.${crypto.randomUUID()}`, tmpA = `${pcma}.${crypto.randomUUID()}`;
    await run("sox", [wav, "-r", "8000", "-c", "1", "-e", "u-law", "-b", "8", "-t", "raw", tmpU]);
    await run("sox", [wav, "-r", "8000", "-c", "1", "-e", "a-law", "-b", "8", "-t", "raw", tmpA]);
    await Deno.rename(tmpU, pcmu);
    await Deno.rename(tmpA, pcma);
  } finally {
    await Deno.remove(wav).catch((err) => {
      // espeak-ng failed before writing it: nothing to clean up.
      if (!(err instanceof Deno.errors.NotFound)) {
        log.warn("temporary prompt file not removed", { path: wav, error: String(err) });
      }
    });
  }
  const samples = (await Deno.stat(pcmu)).size;
  log.info("prompt generated", { key, samples, voice });
  return { text, pcmu, pcma, samples };
}

/** Generates every prompt in PROMPTS (gateway setup). */
export async function prepareAllPrompts(dataDir: string, options: PromptOptions = {}) {
  const out = {} as Record<keyof typeof PROMPTS, PromptFiles>;
  for (const [name, text] of Object.entries(PROMPTS)) {
    out[name as keyof typeof PROMPTS] = await preparePrompt(dataDir, text, options);
  }
  return out;
}

export async function loadPrompt(files: PromptFiles, codec: G711Codec): Promise<Uint8Array> {
  return await Deno.readFile(codec === "pcmu" ? files.pcmu : files.pcma);
}

/**
 * Hold music for the lobby: a soft repeating arpeggio (A major, 0.25 s notes with short fades, then a
 * pause), generated rather than shipped so there is no licensing question. One loop, encoded.
 */
export function holdMusic(codec: G711Codec): Uint8Array {
  const rate = 8000;
  const notes = [440, 554.37, 659.25, 880, 659.25, 554.37];
  const noteSamples = rate / 4;
  const pause = rate;
  const pcm = new Int16Array(notes.length * noteSamples + pause);
  notes.forEach((f, n) => {
    for (let i = 0; i < noteSamples; i++) {
      const fade = Math.min(1, i / 200, (noteSamples - i) / 400);
      pcm[n * noteSamples + i] = Math.round(Math.sin((2 * Math.PI * f * i) / rate) * 6000 * fade);
    }
  });
  return encodeG711(codec, pcm);
}

export type PlayerState = "playing" | "finished" | "stopped";

/**
 * Streams G.711 audio to a caller through a relay as 20 ms packets, paced against the monotonic
 * clock (not a drifting setInterval: each tick sends every packet that is due), with timestamps
 * advancing 160 a packet. While it plays, the relay sends the caller nothing from Janus.
 */
export class PromptPlayer {
  state: PlayerState = "playing";
  packetsSent = 0;
  readonly done: Promise<PlayerState>;
  #relay: RtpRelay;
  #audio: Uint8Array;
  #loop: boolean;
  #offset = 0;
  #sequence = 0;
  #timestamp = 0;
  #start = performance.now();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #resolve!: (state: PlayerState) => void;

  constructor(relay: RtpRelay, audio: Uint8Array, options: { loop?: boolean } = {}) {
    if (relay.codec === "opus") throw new Error("prompts are G.711 only; this call uses Opus");
    this.#relay = relay;
    this.#audio = audio;
    this.#loop = options.loop ?? false;
    this.done = new Promise((r) => this.#resolve = r);
    relay.setCallerSource("player");
    this.#tick();
  }

  #tick = () => {
    this.#timer = undefined;
    if (this.state !== "playing") return;
    if (this.#relay.state !== "open") return this.#end("stopped");
    const due = Math.floor((performance.now() - this.#start) / 20) + 1;
    while (this.packetsSent < due) {
      if (this.#offset >= this.#audio.length) {
        if (!this.#loop || this.#audio.length === 0) return this.#end("finished");
        this.#offset = 0;
      }
      const frame = new Uint8Array(160).fill(this.#relay.codec === "pcmu" ? 0xff : 0xd5);
      frame.set(this.#audio.subarray(this.#offset, this.#offset + 160));
      this.#offset += 160;
      this.#relay.sendFromPlayer(this.#sequence, this.#timestamp, frame);
      this.#sequence = (this.#sequence + 1) & 0xffff;
      this.#timestamp = (this.#timestamp + 160) >>> 0;
      this.packetsSent++;
    }
    const next = this.#start + this.packetsSent * 20 - performance.now();
    this.#timer = setTimeout(this.#tick, Math.max(0, next));
  };

  #end(state: PlayerState) {
    if (this.state !== "playing") return;
    this.state = state;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#relay.state === "open") this.#relay.setCallerSource("janus");
    this.#resolve(state);
  }

  /** Stops playing (e.g. a digit was pressed, the host admitted the caller). */
  stop() {
    this.#end("stopped");
  }
}

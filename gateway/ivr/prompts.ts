// Spoken IVR prompts and lobby hold music for SIP callers: each prompt's text comes from the
// message catalogs (lib/i18n/areas/telephony.ts) in the caller's language, is synthesized once with
// that language's espeak-ng voice, converted by sox to 8 kHz G.711 (μ-law and A-law) raw files in
// DATA_DIR and cached by a hash of pipeline, voice, speed and text; a player streams them (or
// generated hold music) as 20 ms RTP through a relay.

import { logger } from "../../lib/common/log.ts";
import { telephony } from "../../lib/i18n/areas/telephony.ts";
import { type Locale, LOCALES } from "../../lib/i18n/locales.ts";
import { encodeG711, type G711Codec } from "../rtp/g711.ts";
import type { RtpRelay } from "../rtp/relay.ts";

const log = logger("ivr-prompts");

type TelephonyKey = keyof typeof telephony.en;
/** What the phone menu says: one message `telephony.<name>` each, in every language. */
export type PromptName = TelephonyKey extends `telephony.${infer N}` ? N : never;
export const PROMPT_NAMES = Object.keys(telephony.en).map((k) => k.slice("telephony.".length)) as PromptName[];

/**
 * The text of a prompt in `locale`, from the catalogs. Read from the area as it is written: the
 * prompts have no placeholders, so that is the formatted message (prompts_test.ts checks), and the
 * gateway neither loads nor compiles the rest of the catalogs (about 60 ms at start).
 */
export function promptText(locale: Locale, name: PromptName): string {
  return telephony[locale][`telephony.${name}`];
}

/**
 * The espeak-ng voice each language is spoken with (Debian's espeak-ng-data has all of them; see
 * `espeak-ng --voices`). A language added to lib/i18n/locales.ts needs its voice here.
 */
export const VOICES: Record<Locale, string> = { en: "en-us", de: "de", es: "es", ar: "ar" };

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

export async function loadPrompt(files: PromptFiles, codec: G711Codec): Promise<Uint8Array> {
  return await Deno.readFile(codec === "pcmu" ? files.pcmu : files.pcma);
}

/** One prompt's audio in both G.711 laws. */
export interface PromptSound {
  pcmu: Uint8Array;
  pcma: Uint8Array;
}

export type LanguagePrompts = Record<PromptName, PromptSound>;

/** At most `n` jobs at a time, started in the order they were submitted. */
function limiter(n: number) {
  let active = 0;
  const queue: (() => void)[] = [];
  return async <T>(job: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>((r) => queue.push(r));
    else active++;
    try {
      return await job();
    } finally {
      const next = queue.shift();
      if (next) next();
      else active--;
    }
  };
}

export interface CallPromptsOptions {
  /** The install's phone language (SIP_LANGUAGE): prepared before start-up goes on. */
  install: Locale;
  /** Prompts synthesized at the same time (default: the number of CPUs, at most 4). */
  concurrency?: number;
  /** Words per minute (preparePrompt's default when not set). */
  speed?: number;
}

/**
 * Every prompt in every language, for call control. The install language's are prepared (or found
 * in the cache) before `loadCallPrompts` resolves; the other languages' right after, in the
 * background, through the same bounded queue, so start-up waits for one language only. A call in a
 * language still being prepared waits for it; a language that cannot be prepared (its voice missing)
 * is spoken in the install language instead.
 */
export class CallPrompts {
  readonly install: Locale;
  #languages: Map<Locale, Promise<LanguagePrompts | null>>;

  constructor(install: Locale, languages: Map<Locale, Promise<LanguagePrompts | null>>) {
    this.install = install;
    this.#languages = languages;
  }

  /** `name` in `locale` (the install language's when `locale` has none); null without prompts. */
  async sound(locale: Locale, name: PromptName): Promise<PromptSound | null> {
    const own = await this.#languages.get(locale);
    if (own) return own[name];
    return (await this.#languages.get(this.install))?.[name] ?? null;
  }

  /** Resolves once every language was prepared (or failed); for tests and measurements. */
  async settled(): Promise<void> {
    await Promise.all(this.#languages.values());
  }
}

/**
 * Synthesizes (or finds cached) every prompt in every language and loads them; resolves once the
 * install language's are ready. Throws when those cannot be made (espeak-ng or sox missing).
 */
export async function loadCallPrompts(dataDir: string, options: CallPromptsOptions): Promise<CallPrompts> {
  const cpus = navigator.hardwareConcurrency || 1;
  const run = limiter(Math.max(1, options.concurrency ?? Math.min(cpus, 4)));
  const prepare = async (locale: Locale): Promise<LanguagePrompts> => {
    const started = performance.now();
    const sounds = await Promise.all(PROMPT_NAMES.map((name) =>
      run(async (): Promise<PromptSound> => {
        const files = await preparePrompt(dataDir, promptText(locale, name), {
          voice: VOICES[locale],
          speed: options.speed,
        });
        return { pcmu: await loadPrompt(files, "pcmu"), pcma: await loadPrompt(files, "pcma") };
      })
    ));
    log.info("prompts ready", { locale, voice: VOICES[locale], ms: Math.round(performance.now() - started) });
    return Object.fromEntries(PROMPT_NAMES.map((name, i) => [name, sounds[i]])) as LanguagePrompts;
  };
  const install = prepare(options.install);
  const languages = new Map<Locale, Promise<LanguagePrompts | null>>([[options.install, install]]);
  await install;
  for (const locale of LOCALES) {
    if (locale === options.install) continue;
    languages.set(
      locale,
      prepare(locale).catch((err) => {
        log.warn("prompts unavailable in this language; its callers hear the install language", {
          locale,
          voice: VOICES[locale],
          error: (err as Error).message,
        });
        return null;
      }),
    );
  }
  return new CallPrompts(options.install, languages);
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

// A real SIP phone for end-to-end tests: Debian's baresip, configured non-interactively in a temp
// directory (no registration, G.711 only, `aufile` plays a WAV as the microphone, `aubridge` is a
// null speaker, `sndfile` records the decoded received audio as a WAV), started inside a network
// namespace with `-e "/dial …"`. Plus the stack it dials into: like tests/support/meeting_harness.ts
// (Janus + gateway + web app + Chromium in the namespace) but with the gateway's SIP endpoint bound
// to the namespace address and Chromium's fake microphone playing a WAV file. And WAV/Goertzel helpers.
// Used by tests/sip_browser_e2e_test.ts.

import type { Store } from "../../lib/common/store.ts";
import type { NetNs } from "./netns.ts";
import { meetingStackUnavailable, startMeetingStack } from "./meeting_harness.ts";
import type { MeetingStack, Proc } from "./meeting_harness.ts";
import { missingPrograms } from "./tools.ts";

export const BARESIP_MODULES = "/usr/lib/baresip/modules";

/** Why the baresip end-to-end test cannot run here, or null. */
export async function baresipStackUnavailable(): Promise<string | null> {
  const stack = await meetingStackUnavailable();
  if (stack) return stack;
  const missing = missingPrograms("baresip", "espeak-ng", "sox");
  if (missing.length) return `${missing.join(", ")} not installed (apt-get install baresip espeak-ng sox)`;
  for (const m of ["g711.so", "aufile.so", "aubridge.so", "sndfile.so", "account.so", "menu.so"]) {
    try {
      Deno.statSync(`${BARESIP_MODULES}/${m}`);
    } catch {
      return `baresip module ${BARESIP_MODULES}/${m} missing`;
    }
  }
  return null;
}

// ---- WAV and Goertzel ---------------------------------------------------------------------------

/** Why the room-system video tests cannot run here (the baresip stack, ffmpeg, baresip's video modules), or null. */
export async function videoStackUnavailable(): Promise<string | null> {
  const stack = await baresipStackUnavailable();
  if (stack) return stack;
  if (missingPrograms("ffmpeg").length) return "ffmpeg not installed (apt-get install ffmpeg)";
  for (const m of ["fakevideo.so", "vidbridge.so", "vp8.so", "avcodec.so"]) {
    try {
      Deno.statSync(`${BARESIP_MODULES}/${m}`);
    } catch {
      return `baresip module ${BARESIP_MODULES}/${m} missing`;
    }
  }
  return null;
}

/** A mono 16-bit PCM WAV of a sine tone. */
export function toneWav(freq: number, sampleRate: number, seconds: number, amplitude = 0.5): Uint8Array {
  const n = Math.round(sampleRate * seconds);
  const out = new Uint8Array(44 + n * 2);
  const v = new DataView(out.buffer);
  const ascii = (o: number, s: string) => [...s].forEach((c, i) => (out[o + i] = c.charCodeAt(0)));
  ascii(0, "RIFF");
  v.setUint32(4, 36 + n * 2, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true); // PCM
  v.setUint16(22, 1, true); // mono
  v.setUint32(24, sampleRate, true);
  v.setUint32(28, sampleRate * 2, true);
  v.setUint16(32, 2, true);
  v.setUint16(34, 16, true);
  ascii(36, "data");
  v.setUint32(40, n * 2, true);
  for (let i = 0; i < n; i++) {
    v.setInt16(44 + i * 2, Math.round(Math.sin((2 * Math.PI * freq * i) / sampleRate) * amplitude * 32767), true);
  }
  return out;
}

/** Samples (first channel) and rate of a 16-bit PCM WAV; tolerates a header whose sizes were never fixed up. */
export function readWav(bytes: Uint8Array): { rate: number; channels: number; samples: Int16Array } {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (o: number) => String.fromCharCode(...bytes.subarray(o, o + 4));
  if (bytes.length < 12 || tag(0) !== "RIFF" || tag(8) !== "WAVE") throw new Error("not a RIFF/WAVE file");
  let o = 12, rate = 0, channels = 1, bits = 16;
  while (o + 8 <= bytes.length) {
    const id = tag(o);
    const size = v.getUint32(o + 4, true);
    if (id === "fmt ") {
      channels = v.getUint16(o + 10, true);
      rate = v.getUint32(o + 12, true);
      bits = v.getUint16(o + 22, true);
    } else if (id === "data") {
      if (bits !== 16) throw new Error(`expected 16-bit PCM, got ${bits} bits`);
      const end = size === 0 || o + 8 + size > bytes.length ? bytes.length : o + 8 + size;
      const frames = Math.floor((end - o - 8) / (2 * channels));
      const samples = new Int16Array(frames);
      for (let i = 0; i < frames; i++) samples[i] = v.getInt16(o + 8 + i * 2 * channels, true);
      return { rate, channels, samples };
    }
    o += 8 + size + (size & 1);
  }
  throw new Error("no data chunk");
}

/** Share (0-1) of the block's energy at `freq` (Goertzel), and the block's RMS (0-1). */
export function goertzel(
  samples: Int16Array | Float32Array,
  rate: number,
  freq: number,
): { share: number; rms: number } {
  const n = samples.length;
  if (!n) return { share: 0, rms: 0 };
  const k = Math.round((n * freq) / rate);
  const coeff = 2 * Math.cos((2 * Math.PI * k) / n);
  let s1 = 0, s2 = 0, energy = 0;
  for (let i = 0; i < n; i++) {
    const x = samples[i] / 32768;
    energy += x * x;
    const s0 = x + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2; // |X[k]|^2
  // A pure sine of amplitude A over n samples: |X[k]|^2 = (A n / 2)^2, energy = A^2 n / 2.
  return { share: energy > 0 ? Math.min(1, (2 * power) / (n * energy)) : 0, rms: Math.sqrt(energy / n) };
}

/** Goertzel over consecutive `blockMs` blocks: how many blocks are loud and dominated by `freq`. */
export function toneBlocks(
  wav: { rate: number; samples: Int16Array },
  freq: number,
  blockMs = 200,
  minRms = 0.01,
  minShare = 0.5,
): { blocks: number; toneBlocks: number; bestShare: number; maxRms: number } {
  const per = Math.round((wav.rate * blockMs) / 1000);
  let blocks = 0, tone = 0, best = 0, maxRms = 0;
  for (let o = 0; o + per <= wav.samples.length; o += per) {
    const g = goertzel(wav.samples.subarray(o, o + per), wav.rate, freq);
    blocks++;
    maxRms = Math.max(maxRms, g.rms);
    if (g.rms >= minRms) best = Math.max(best, g.share);
    if (g.rms >= minRms && g.share >= minShare) tone++;
  }
  return { blocks, toneBlocks: tone, bestShare: best, maxRms };
}

// ---- baresip ------------------------------------------------------------------------------------

export interface Baresip extends Proc {
  dir: string;
  recordDir: string;
  /** baresip's SIP port (UDP, on the namespace address). */
  sipPort: number;
  /** The WAV files sndfile wrote (`*-dec.wav`: what the phone received, decoded). */
  recordings(): string[];
}

/**
 * Writes `config` and `accounts` into `dir` and starts `baresip -f dir -s -t <lifetime> -e "/dial <uri>"`
 * inside the namespace. `sourceWav` must be 8 kHz mono S16 (G.711's rate; aufile refuses others).
 */
export async function startBaresip(ns: NetNs, opts: {
  dir: string;
  ip: string;
  sourceWav: string;
  /** What to call; null: wait and answer incoming calls at once (a callee of a dial-out). */
  dial: string | null;
  displayName: string;
  lifetimeSec?: number;
  /**
   * A room system: video from baresip's fakevideo source in `codec`, received video to the null
   * display (vidbridge); `vidinfo` is not used, received frames show in RTCP/stream stats.
   */
  video?: { codec: "vp8" | "h264" };
  /** SIP port (5070) and RTP port range (43000-43099): several baresips in one namespace need their own. */
  sipPort?: number;
  rtpPorts?: string;
}): Promise<Baresip> {
  const recordDir = `${opts.dir}/recordings`;
  await Deno.mkdir(recordDir, { recursive: true });
  const sipPort = opts.sipPort ?? 5070;
  await Deno.writeTextFile(
    `${opts.dir}/config`,
    [
      "poll_method epoll",
      `sip_listen ${opts.ip}:${sipPort}`,
      `net_interface ${ns.innerIf}`,
      // aubridge with a device nobody sources from: a null speaker (no sound card in tests).
      "audio_player aubridge,nil",
      "audio_alert aubridge,nil",
      `audio_source aufile,${opts.sourceWav}`,
      "ausrc_srate 8000",
      "auplay_srate 8000",
      "ausrc_channels 1",
      "auplay_channels 1",
      `rtp_ports ${opts.rtpPorts ?? "43000-43099"}`,
      "rtp_timeout 0",
      `module_path ${BARESIP_MODULES}`,
      "module g711.so",
      "module aufile.so",
      "module aubridge.so",
      // An audio filter: writes what is sent (-enc.wav) and what is received (-dec.wav) to snd_path.
      "module sndfile.so",
      "module_app account.so",
      // Prints call events (established, terminated) without a console UI; provides /dial for -e.
      "module_app menu.so",
      `snd_path ${recordDir}`,
      ...(opts.video
        ? [
          "module fakevideo.so",
          "module vidbridge.so",
          opts.video.codec === "vp8" ? "module vp8.so" : "module avcodec.so",
          "video_source fakevideo,nil",
          "video_display vidbridge,nil",
          "video_size 320x240",
          "video_bitrate 300000",
          "video_fps 15",
          // Prints RTP/RTCP statistics of each stream when the call ends.
          "module rtcpsummary.so",
        ]
        : []),
      "",
    ].join("\n"),
  );
  await Deno.writeTextFile(
    `${opts.dir}/accounts`,
    `"${opts.displayName}" <sip:tester@${opts.ip}:${sipPort}>;regint=0;audio_codecs=PCMU/8000/1,PCMA/8000/1` +
      (opts.dial === null ? ";answermode=auto" : "") +
      (opts.video ? `;video_codecs=${opts.video.codec === "vp8" ? "VP8" : "H264"}` : "") + "\n",
  );
  const child = ns.spawn([
    "baresip",
    "-4",
    "-s", // SIP trace: the BYE shows in the output
    "-f",
    opts.dir,
    "-t",
    String(opts.lifetimeSec ?? 180),
    ...(opts.dial === null ? [] : ["-e", `/dial ${opts.dial}`]),
  ], { stdin: "null", stdout: "piped", stderr: "piped" });
  let out = "";
  const pump = async (s: ReadableStream<Uint8Array<ArrayBuffer>>) => {
    for await (const chunk of s.pipeThrough(new TextDecoderStream())) out += chunk;
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  return {
    child,
    dir: opts.dir,
    recordDir,
    sipPort,
    output: () => out,
    recordings: () => {
      try {
        return [...Deno.readDirSync(recordDir)].map((e) => `${recordDir}/${e.name}`).sort();
      } catch {
        return [];
      }
    },
    async stop() {
      if (!exited) child.kill("SIGTERM");
      const t = setTimeout(() => !exited && child.kill("SIGKILL"), 5_000);
      await status;
      clearTimeout(t);
      await pumps;
    },
  };
}

// ---- the stack ----------------------------------------------------------------------------------

export interface SipMeetingStack extends MeetingStack {
  /** The gateway's SIP port on the namespace address. */
  sipPort: number;
}

/**
 * Janus + gateway (SIP on `<namespace ip>:sipPort`) + web app + Chromium, all in a fresh namespace
 * (tests/support/meeting_harness.ts), with Chromium's fake microphone playing `fakeAudioWav` (looped).
 */
export async function startSipMeetingStack<T>(
  seed: (kv: Store) => Promise<T>,
  opts: { fakeAudioWav: string },
): Promise<{ stack: SipMeetingStack; seeded: T }> {
  const sipPort = 5060;
  const { stack, seeded } = await startMeetingStack(seed, {
    tag: "sip",
    verbose: true,
    chromiumArgs: [`--use-file-for-fake-audio-capture=${opts.fakeAudioWav}`],
    gatewayEnv: ({ ip, base }) => ({
      SIP_HOST: ip,
      SIP_PORT: String(sipPort),
      SIP_ADVERTISED_HOST: ip,
      SIP_RTP_PORT_RANGE: "42000-42099",
      WEB_INTERNAL_URL: base,
    }),
  });
  return { stack: { ...stack, sipPort }, seeded };
}

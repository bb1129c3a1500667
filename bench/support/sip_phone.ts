// bench/sip.ts support: the raw SIP phone (tests/support/raw_phone.ts) with plain RTP kept cheap
// enough to run 50 at once in one Deno process. Sending is driven from outside (one shared
// pacer for all phones, see `Pacer`); receiving keeps counters and per-second loudest levels only.

import { encodeG711, g711LevelDbov } from "../../gateway/rtp/g711.ts";
import { buildRtp, parseRtp } from "../../gateway/rtp/packet.ts";
import { RawSipPhone } from "../../tests/support/raw_phone.ts";

const SILENCE = new Uint8Array(160).fill(0xff);

/** One second of a 440 Hz tone (a whole number of cycles, so it loops cleanly) as 50 PCMU frames. */
export function toneFrames(amplitude = 8000): Uint8Array[] {
  const pcm = new Int16Array(8000);
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(Math.sin((2 * Math.PI * 440 * i) / 8000) * amplitude);
  const ulaw = encodeG711("pcmu", pcm);
  return Array.from({ length: 50 }, (_, i) => ulaw.slice(i * 160, (i + 1) * 160));
}

export class RawPhone extends RawSipPhone {
  // Sending (driven by the pacer).
  sendStartAt = 0;
  sent = 0;
  sendErrors = 0;
  readonly ssrc = crypto.getRandomValues(new Uint32Array(1))[0];
  /** Frames to send in a loop (the tone) or null for silence. */
  frames: Uint8Array[] | null = null;
  // Receiving.
  received = 0;
  firstRtpAt = 0;
  /** Sequence gaps in what the relay sent us (its outgoing stream has continuous sequence numbers). */
  gaps = 0;
  reordered = 0;
  #lastSeq = -1;
  /** Loudest packet level (dBov) per whole second since `levelEpoch`. */
  readonly loudestBySecond = new Map<number, number>();
  levelEpoch = performance.now();

  constructor(sipPort: number, display = "Bench Caller") {
    super(sipPort, { display, fromUser: "+15550001234", tag: "bench" });
  }

  protected onRtp(data: Uint8Array) {
    const p = parseRtp(data);
    if (!p || p.payloadType !== 0) return;
    const now = performance.now();
    if (this.received++ === 0) this.firstRtpAt = now;
    if (this.#lastSeq >= 0) {
      const d = (p.sequence - this.#lastSeq) & 0xffff;
      if (d === 0 || d > 0x8000) this.reordered++;
      else this.gaps += d - 1;
    }
    if (this.#lastSeq < 0 || ((p.sequence - this.#lastSeq) & 0xffff) < 0x8000) this.#lastSeq = p.sequence;
    const sec = Math.floor((now - this.levelEpoch) / 1000);
    const level = g711LevelDbov("pcmu", p.payload);
    const prev = this.loudestBySecond.get(sec);
    if (prev === undefined || level > prev) this.loudestBySecond.set(sec, level);
  }

  /** Sends every 20 ms frame due by `now` (catching up after a late timer tick). */
  pump(now: number) {
    if (!this.remote || this.byeReceived || this.closed || this.sendStartAt === 0) return;
    const due = Math.floor((now - this.sendStartAt) / 20) + 1;
    while (this.sent < due) {
      const i = this.sent++;
      const payload = this.frames ? this.frames[i % this.frames.length] : SILENCE;
      const packet = buildRtp(0, i & 0xffff, (i * 160) >>> 0, this.ssrc, payload, i === 0);
      this.rtp.send(packet, { transport: "udp", hostname: this.remote.host, port: this.remote.port }).catch(() => {
        this.sendErrors++;
      });
    }
  }

  startSending(now = performance.now()) {
    this.sendStartAt = now;
  }

  override bye() {
    this.sendStartAt = 0;
    return super.bye();
  }
}

/** One timer for every phone: every `everyMs` each phone sends what is due (20 ms frames). */
export class Pacer {
  #timer: ReturnType<typeof setInterval>;
  constructor(readonly phones: RawPhone[], everyMs = 5) {
    this.#timer = setInterval(() => {
      const now = performance.now();
      for (const p of this.phones) p.pump(now);
    }, everyMs);
  }
  stop() {
    clearInterval(this.#timer);
  }
}

/** utime+stime of a process in seconds (all its threads), from /proc/<pid>/stat; null when gone. */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields[0] is field 3 (state): utime is field 14, stime field 15.
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return null;
  }
}

const CLK_TCK = (() => {
  try {
    const out = new Deno.Command("getconf", { args: ["CLK_TCK"], stdout: "piped", stderr: "null" }).outputSync();
    const n = Number(new TextDecoder().decode(out.stdout).trim());
    return Number.isFinite(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
})();

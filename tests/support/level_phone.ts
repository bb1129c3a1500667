// A raw SIP phone (tests/support/raw_phone.ts) that behaves like a real one on the media side: from
// the answer on it sends a 20 ms G.711 frame every 20 ms (silence, or a looped tone; Janus sends a
// plain-RTP participant nothing before its first packet) and records the level of everything it hears.

import { g711LevelDbov, SILENCE_BYTE } from "../../gateway/rtp/g711.ts";
import { buildRtp, parseRtp } from "../../gateway/rtp/packet.ts";
import { type RawPhoneOptions, RawSipPhone } from "./raw_phone.ts";

export class LevelPhone extends RawSipPhone {
  /** Level (dBov) and arrival time of every G.711 packet received. */
  heard: { at: number; level: number }[] = [];
  #tone: Uint8Array | null;
  #sender: ReturnType<typeof setInterval> | undefined;

  /** `tone`: what to send, in the phone's codec, looped 160 bytes at a time (silence without it). */
  constructor(sipPort: number, opts: RawPhoneOptions & { tone?: Uint8Array } = {}) {
    super(sipPort, opts);
    this.#tone = opts.tone ?? null;
  }

  protected onRtp(data: Uint8Array) {
    const p = parseRtp(data);
    if (p && (p.payloadType === 0 || p.payloadType === 8)) {
      this.heard.push({ at: performance.now(), level: g711LevelDbov(this.codec, p.payload) });
    }
  }

  /** The loudest packet received in the last `ms` (-200 when none). */
  loudest(ms: number): number {
    const since = performance.now() - ms;
    return Math.max(-200, ...this.heard.filter((h) => h.at >= since).map((h) => h.level));
  }

  /** How many packets arrived in the last `ms`. */
  received(ms: number): number {
    const since = performance.now() - ms;
    return this.heard.filter((h) => h.at >= since).length;
  }

  protected override onAnswered() {
    const pt = this.codec === "pcmu" ? 0 : 8;
    const silence = new Uint8Array(160).fill(SILENCE_BYTE[this.codec]);
    const tone = this.#tone;
    const ssrc = crypto.getRandomValues(new Uint32Array(1))[0];
    let seq = 0;
    this.#sender = setInterval(() => {
      if (this.closed || this.byeReceived || !this.remote) return;
      const at = tone ? (seq * 160) % tone.length : 0;
      const payload = tone ? tone.subarray(at, at + 160) : silence;
      const packet = buildRtp(pt, seq & 0xffff, (seq * 160) >>> 0, ssrc, payload, seq === 0);
      seq++;
      this.rtp.send(packet, { transport: "udp", hostname: this.remote.host, port: this.remote.port }).catch(() => {});
    }, 20);
  }

  override bye() {
    clearInterval(this.#sender);
    return super.bye();
  }

  override async close() {
    clearInterval(this.#sender);
    await super.close();
  }
}

// bench/sip.ts support: a light raw SIP-over-UDP caller (INVITE with SDP, ACK, BYE) with plain RTP,
// cheap enough to run 50 at once in one Deno process. Sending is driven from outside (one shared
// pacer for all phones, see `Pacer`); receiving keeps counters and per-second loudest levels only.

import { encodeG711, g711LevelDbov } from "../../gateway/rtp/g711.ts";
import { buildRtp, parseRtp } from "../../gateway/rtp/packet.ts";
import { parseMessage, type SipRequest, type SipResponse } from "../../gateway/sip/message.ts";

const enc = new TextEncoder();
const SILENCE = new Uint8Array(160).fill(0xff);

/** One second of a 440 Hz tone (a whole number of cycles, so it loops cleanly) as 50 PCMU frames. */
export function toneFrames(amplitude = 8000): Uint8Array[] {
  const pcm = new Int16Array(8000);
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(Math.sin((2 * Math.PI * 440 * i) / 8000) * amplitude);
  const ulaw = encodeG711("pcmu", pcm);
  return Array.from({ length: 50 }, (_, i) => ulaw.slice(i * 160, (i + 1) * 160));
}

export class RawPhone {
  readonly sip = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  readonly rtp = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  readonly callId = `bench-${crypto.randomUUID()}`;
  readonly fromTag = crypto.randomUUID().slice(0, 8);
  toTag = "";
  remote: { host: string; port: number } | null = null;
  byeReceived = false;
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

  #messages: (SipRequest | SipResponse)[] = [];
  #waiters: (() => void)[] = [];
  #cseq = 1;
  #user = "";
  #closed = false;
  #loops: Promise<void>[];

  constructor(readonly sipPort: number, readonly display = "Bench Caller") {
    this.#loops = [this.#sipLoop(), this.#rtpLoop()];
  }

  get port() {
    return (this.sip.addr as Deno.NetAddr).port;
  }

  async #sipLoop() {
    while (!this.#closed) {
      let data: Uint8Array;
      try {
        [data] = await this.sip.receive();
      } catch {
        return;
      }
      const p = parseMessage(data);
      if (p.kind === "request") {
        this.#messages.push(p.request);
        if (p.request.method === "BYE") {
          this.byeReceived = true;
          const text = new TextDecoder().decode(data);
          const lines = text.split("\r\n").filter((l) => /^(via|v|from|f|to|t|call-id|i|cseq)\s*:/i.test(l));
          void this.#send(["SIP/2.0 200 OK", ...lines, "Content-Length: 0", "", ""].join("\r\n"));
        }
      } else if (p.kind === "response") this.#messages.push(p.response);
      for (const w of this.#waiters.splice(0)) w();
    }
  }

  async #rtpLoop() {
    while (!this.#closed) {
      let data: Uint8Array;
      try {
        [data] = await this.rtp.receive();
      } catch {
        return;
      }
      const p = parseRtp(data);
      if (!p || p.payloadType !== 0) continue;
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
  }

  #send(text: string) {
    return this.sip.send(enc.encode(text), { transport: "udp", hostname: "127.0.0.1", port: this.sipPort });
  }

  async #next<T>(what: string, pick: () => T | undefined, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const found = pick();
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`phone ${this.callId}: timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(0, deadline - Date.now()) + 1);
        this.#waiters.push(() => (clearTimeout(t), resolve()));
      });
    }
  }

  #headers(method: string, cseq: number) {
    return [
      `${method} sip:${this.#user}@127.0.0.1:${this.sipPort} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${this.port};branch=z9hG4bK${crypto.randomUUID().slice(0, 12)};rport`,
      `From: "${this.display}" <sip:+15550001234@127.0.0.1:${this.port}>;tag=${this.fromTag}`,
      `To: <sip:${this.#user}@127.0.0.1:${this.sipPort}>${this.toTag ? `;tag=${this.toTag}` : ""}`,
      `Call-ID: ${this.callId}`,
      `CSeq: ${cseq} ${method}`,
      `Contact: <sip:phone@127.0.0.1:${this.port}>`,
      "Max-Forwards: 70",
    ];
  }

  #sdp(): string {
    return [
      "v=0",
      "o=bench 1 1 IN IP4 127.0.0.1",
      "s=-",
      "c=IN IP4 127.0.0.1",
      "t=0 0",
      `m=audio ${(this.rtp.addr as Deno.NetAddr).port} RTP/AVP 0 101`,
      "a=rtpmap:0 PCMU/8000",
      "a=rtpmap:101 telephone-event/8000",
      "a=ptime:20",
      "",
    ].join("\r\n");
  }

  /** INVITE → final response (timed from just before the send to its arrival), then ACK. */
  async invite(user: string): Promise<{ status: number; ms: number; sentAt: number }> {
    this.#user = user;
    const sdp = this.#sdp();
    const text = [
      ...this.#headers("INVITE", 1),
      "Content-Type: application/sdp",
      `Content-Length: ${enc.encode(sdp).length}`,
      "",
      sdp,
    ].join("\r\n");
    const sentAt = performance.now();
    await this.#send(text);
    const final = await this.#next(
      "final response to INVITE",
      () =>
        this.#messages.find((m): m is SipResponse =>
          "statusCode" in m && m.statusCode !== undefined && m.statusCode >= 200 && m.method === "INVITE"
        ),
    );
    const ms = performance.now() - sentAt;
    this.toTag = final.getHeader("to")?.match(/;tag=([^;\s]+)/)?.[1] ?? "";
    const status = final.statusCode ?? 0;
    if (status < 300) {
      const port = Number(/m=audio (\d+)/.exec(final.body)?.[1]);
      const host = /c=IN IP4 (\S+)/.exec(final.body)?.[1] ?? "127.0.0.1";
      this.remote = { host, port };
    }
    await this.#send([...this.#headers("ACK", 1), "Content-Length: 0", "", ""].join("\r\n"));
    return { status, ms, sentAt };
  }

  /** Sends every 20 ms frame due by `now` (catching up after a late timer tick). */
  pump(now: number) {
    if (!this.remote || this.byeReceived || this.#closed || this.sendStartAt === 0) return;
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

  async bye(): Promise<number> {
    this.sendStartAt = 0;
    const cseq = ++this.#cseq;
    await this.#send([...this.#headers("BYE", cseq), "Content-Length: 0", "", ""].join("\r\n"));
    const res = await this.#next(
      "response to BYE",
      () =>
        this.#messages.find((m): m is SipResponse =>
          "statusCode" in m && m.statusCode !== undefined && m.method === "BYE" && m.cseq === cseq &&
          m.statusCode >= 200
        ),
    );
    return res.statusCode ?? 0;
  }

  async close() {
    if (this.#closed) return;
    this.#closed = true;
    this.sip.close();
    this.rtp.close();
    await Promise.all(this.#loops);
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

// A raw SIP phone over UDP on loopback, for what sipp cannot do dynamically (send RTP to the
// address in our answer, INFO digits on demand, many callers in one process): INVITE with SDP, ACK,
// INFO, BYE, and a 200 to the gateway's BYE. What it does with RTP is up to the subclass (the SIP
// call tests measure levels; bench/sip.ts counts packets for 50 callers).

import { parseMessage, type SipRequest, type SipResponse } from "../../gateway/sip/message.ts";

const enc = new TextEncoder();

export interface RawPhoneOptions {
  codec?: "pcmu" | "pcma";
  /** From display name and user. */
  display?: string;
  fromUser?: string;
  /** Prefix of the Call-ID (names the phone in timeouts). */
  tag?: string;
  /** Our address (sockets, Via, Contact, SDP); 127.0.0.1 by default. */
  localHost?: string;
  /** The gateway's address; 127.0.0.1 by default. */
  gatewayHost?: string;
}

export abstract class RawSipPhone {
  readonly sip: Deno.DatagramConn;
  readonly rtp: Deno.DatagramConn;
  readonly localHost: string;
  readonly gatewayHost: string;
  readonly messages: (SipRequest | SipResponse)[] = [];
  /** When each message arrived (before parsing it: its parse is not the gateway's time). */
  readonly arrivedAt = new WeakMap<SipRequest | SipResponse, number>();
  readonly codec: "pcmu" | "pcma";
  readonly callId: string;
  readonly fromTag = crypto.randomUUID().slice(0, 8);
  toTag = "";
  /** Where our RTP goes: the address in the answer. */
  remote: { host: string; port: number } | null = null;
  answerSdp = "";
  byeReceived = false;
  #cseq = 1;
  #user = "";
  #closed = false;
  #waiters: (() => void)[] = [];
  #loops: Promise<void>[];

  constructor(readonly sipPort: number, readonly opts: RawPhoneOptions = {}) {
    this.localHost = opts.localHost ?? "127.0.0.1";
    this.gatewayHost = opts.gatewayHost ?? "127.0.0.1";
    this.sip = Deno.listenDatagram({ transport: "udp", hostname: this.localHost, port: 0 });
    this.rtp = Deno.listenDatagram({ transport: "udp", hostname: this.localHost, port: 0 });
    this.codec = opts.codec ?? "pcmu";
    this.callId = `${opts.tag ?? "phone"}-${crypto.randomUUID()}`;
    this.#loops = [this.#sipLoop(), this.#rtpLoop()];
  }

  get port() {
    return (this.sip.addr as Deno.NetAddr).port;
  }

  get closed() {
    return this.#closed;
  }

  /** Called with every RTP packet the phone receives. */
  protected abstract onRtp(data: Uint8Array): void;

  /** Called once a 2xx answered the INVITE (before the ACK goes out). */
  protected onAnswered(): void {}

  async #sipLoop() {
    while (!this.#closed) {
      let data: Uint8Array;
      try {
        [data] = await this.sip.receive();
      } catch {
        return;
      }
      const at = performance.now();
      const p = parseMessage(data);
      if (p.kind === "request") {
        this.arrivedAt.set(p.request, at);
        this.messages.push(p.request);
        if (p.request.method === "BYE" || p.request.method === "INFO") {
          if (p.request.method === "BYE") this.byeReceived = true;
          const text = new TextDecoder().decode(data);
          const lines = text.split("\r\n").filter((l) => /^(via|v|from|f|to|t|call-id|i|cseq)\s*:/i.test(l));
          void this.#send(["SIP/2.0 200 OK", ...lines, "Content-Length: 0", "", ""].join("\r\n"));
        }
      } else if (p.kind === "response") {
        this.arrivedAt.set(p.response, at);
        this.messages.push(p.response);
      }
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
      this.onRtp(data);
    }
  }

  #send(text: string) {
    return this.sip.send(enc.encode(text), { transport: "udp", hostname: this.gatewayHost, port: this.sipPort });
  }

  /** Waits until `pick` finds something among what arrived (bounded; no fixed sleeps). */
  async next<T>(what: string, pick: () => T | undefined, timeoutMs = 10_000): Promise<T> {
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
      `${method} sip:${this.#user}@${this.gatewayHost}:${this.sipPort} SIP/2.0`,
      `Via: SIP/2.0/UDP ${this.localHost}:${this.port};branch=z9hG4bK${crypto.randomUUID().slice(0, 12)};rport`,
      `From: "${this.opts.display ?? "Raw Phone"}" <sip:${
        this.opts.fromUser ?? "+15559876543"
      }@${this.localHost}:${this.port}>;tag=${this.fromTag}`,
      `To: <sip:${this.#user}@${this.gatewayHost}:${this.sipPort}>${this.toTag ? `;tag=${this.toTag}` : ""}`,
      `Call-ID: ${this.callId}`,
      `CSeq: ${cseq} ${method}`,
      `Contact: <sip:phone@${this.localHost}:${this.port}>`,
      "Max-Forwards: 70",
    ];
  }

  /** Our offer: the phone's codec plus telephone-event, 20 ms. */
  defaultSdp(): string {
    const pt = this.codec === "pcmu" ? 0 : 8;
    return [
      "v=0",
      `o=phone 1 1 IN IP4 ${this.localHost}`,
      "s=-",
      `c=IN IP4 ${this.localHost}`,
      "t=0 0",
      `m=audio ${(this.rtp.addr as Deno.NetAddr).port} RTP/AVP ${pt} 101`,
      `a=rtpmap:${pt} ${this.codec.toUpperCase()}/8000`,
      "a=rtpmap:101 telephone-event/8000",
      "a=ptime:20",
      "",
    ].join("\r\n");
  }

  /** INVITE → final response (timed from just before the send to its arrival, before parsing), then ACK. */
  async invite(user: string, sdp = this.defaultSdp()): Promise<{ status: number; ms: number; sentAt: number }> {
    this.#user = user;
    const sentAt = performance.now();
    await this.#send(
      [
        ...this.#headers("INVITE", 1),
        "Content-Type: application/sdp",
        `Content-Length: ${enc.encode(sdp).length}`,
        "",
        sdp,
      ]
        .join("\r\n"),
    );
    const final = await this.next(
      "final response to INVITE",
      () =>
        this.messages.find((m): m is SipResponse =>
          "statusCode" in m && m.statusCode !== undefined && m.statusCode >= 200 && m.method === "INVITE"
        ),
    );
    const ms = (this.arrivedAt.get(final) ?? performance.now()) - sentAt;
    this.toTag = final.getHeader("to")?.match(/;tag=([^;\s]+)/)?.[1] ?? "";
    const status = final.statusCode ?? 0;
    if (status < 300) {
      this.answerSdp = final.body;
      const port = Number(/m=audio (\d+)/.exec(final.body)?.[1]);
      const host = /c=IN IP4 (\S+)/.exec(final.body)?.[1] ?? this.gatewayHost;
      this.remote = { host, port };
      this.onAnswered();
    }
    // ACK (for non-2xx the transaction layer wants one too; a new branch is fine for 2xx).
    await this.#send([...this.#headers("ACK", 1), "Content-Length: 0", "", ""].join("\r\n"));
    return { status, ms, sentAt };
  }

  /** An in-dialog request; resolves with its final response. */
  async request(method: string, extra: string[] = [], body = ""): Promise<SipResponse> {
    const cseq = ++this.#cseq;
    await this.#send(
      [...this.#headers(method, cseq), ...extra, `Content-Length: ${enc.encode(body).length}`, "", body].join("\r\n"),
    );
    return await this.next(
      `response to ${method}`,
      () =>
        this.messages.find((m): m is SipResponse =>
          "statusCode" in m && m.statusCode !== undefined && m.method === method && m.cseq === cseq &&
          m.statusCode >= 200
        ),
    );
  }

  info(digit: string): Promise<SipResponse> {
    return this.request("INFO", ["Content-Type: application/dtmf-relay"], `Signal=${digit}\r\nDuration=160\r\n`);
  }

  bye(): Promise<SipResponse> {
    return this.request("BYE");
  }

  async close() {
    if (this.#closed) return;
    this.#closed = true;
    this.sip.close();
    this.rtp.close();
    await Promise.all(this.#loops);
  }
}

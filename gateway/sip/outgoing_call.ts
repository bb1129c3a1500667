// The UAC half of a call: a dial-out's INVITE, CANCEL (§9.1), digest challenge (§22.2), ACK for the
// 2xx and the hang-up of forks that answer too late (§13.2.2.4).

import { logger } from "../../lib/common/log.ts";
import { digestAuthorization } from "./access.ts";
import { Dialog, initialSeq, newTag } from "./dialog.ts";
import { ALLOWED_METHODS, OutgoingMessage, parseSdp, type Sdp, type SipResponse } from "./message.ts";
import { randomHex } from "../../lib/common/random.ts";
import type { InviteClientTransaction } from "./transaction.ts";
import type { Peer, TransportName } from "./transport.ts";
import { type CallHost, type CallState, type EndReason, SipCall } from "./call.ts";
import { transitionTable } from "../../lib/common/state.ts";

const log = logger("sip-call");

const OUTGOING = transitionTable<CallState>("outgoing SIP call", {
  calling: ["ringing", "answered", "ended"],
  ringing: ["answered", "ended"],
  answered: ["ended"],
  offered: [],
  answering: [],
  confirmed: [],
  ended: [],
});

export type CallOutcome =
  | { kind: "answered"; status: number; remoteSdp: Sdp | null }
  | { kind: "busy"; status: number }
  | { kind: "no-answer"; status: number }
  | { kind: "cancelled"; status: number }
  | { kind: "failed"; status: number; reason: string };

export interface DialOptions {
  /** From user and display name (default `talkspace`). */
  from?: { user?: string; displayName?: string };
  /** Send the INVITE here (with a Route to it) instead of to the request URI's host. */
  outboundProxy?: string;
  transport?: TransportName;
  /** Overrides the endpoint's noAnswerTimeoutMs for this call. */
  noAnswerTimeoutMs?: number;
  headers?: [string, string][];
}

/** A dial-out. `outcome` settles once: answered, busy, no-answer, cancelled or failed. */
export class OutgoingCall extends SipCall {
  state: CallState = "calling";
  protected transitions = OUTGOING;
  readonly outcome: Promise<CallOutcome>;
  #settle!: (o: CallOutcome) => void;
  #settled = false;
  #invite!: OutgoingMessage;
  #inviteTx: InviteClientTransaction | null = null;
  #target!: Peer;
  #provisional = false;
  #cancel: "none" | "wanted" | "sent" = "none";
  #cancelWhy: "no-answer" | "cancelled" = "cancelled";
  #authTried = false;
  #ack: OutgoingMessage | null = null;
  #noAnswerTimer: number | undefined;
  #cancelGuard: number | undefined;
  #ringingListeners: ((status: number) => void)[] = [];

  constructor(
    host: CallHost,
    readonly uri: string,
    sdp: string,
    readonly options: DialOptions,
  ) {
    super(host, randomHex(12), options.transport ?? "udp");
    this.localSdp = sdp;
    this.outcome = new Promise((r) => this.#settle = r);
  }

  onRinging(fn: (status: number) => void): this {
    this.#ringingListeners.push(fn);
    return this;
  }

  #finish(o: CallOutcome): void {
    if (this.#settled) return;
    this.#settled = true;
    this.host.layer.timers.clear(this.#noAnswerTimer);
    this.host.layer.timers.clear(this.#cancelGuard);
    this.#settle(o);
  }

  async start(): Promise<void> {
    const via = this.host.via(this.transport);
    const from = this.options.from ?? {};
    const fromUri = `sip:${from.user ?? "talkspace"}@${this.host.options.advertisedHost}`;
    const display = from.displayName ? `"${from.displayName.replace(/["\\]/g, "")}" ` : "";
    const inv = new OutgoingMessage(`INVITE ${this.uri} SIP/2.0`);
    inv.addHeader("Via", via);
    if (this.options.outboundProxy) inv.addHeader("Route", `<${this.options.outboundProxy};lr>`);
    inv.addHeader("Max-Forwards", "70");
    inv.addHeader("From", `${display}<${fromUri}>;tag=${newTag()}`);
    inv.addHeader("To", `<${this.uri}>`);
    inv.addHeader("Call-ID", this.callId);
    inv.addHeader("CSeq", `${initialSeq()} INVITE`);
    inv.addHeader("Contact", this.host.contact(this.transport));
    inv.addHeader("Allow", ALLOWED_METHODS.join(", "));
    if (this.host.options.userAgent) inv.addHeader("User-Agent", this.host.options.userAgent);
    for (const h of this.options.headers ?? []) inv.addHeader(h[0], h[1]);
    inv.addHeader("Content-Type", "application/sdp");
    inv.body = this.localSdp ?? "";
    this.#invite = inv;
    try {
      this.#target = await this.host.resolve(this.options.outboundProxy ?? this.uri, this.transport);
    } catch (err) {
      this.#finish({ kind: "failed", status: 0, reason: `cannot resolve ${this.uri}: ${err}` });
      this.end("failed");
      return;
    }
    const timeout = this.options.noAnswerTimeoutMs ?? this.host.options.noAnswerTimeoutMs ?? 60_000;
    this.#noAnswerTimer = this.host.layer.timers.set(() => this.#cancelNow("no-answer"), timeout);
    this.#sendInvite();
  }

  #sendInvite(): void {
    this.pendingTx++;
    this.#inviteTx = this.host.layer.sendRequest(this.#invite, this.#target, {
      onResponse: (res) => this.#onResponse(res),
      onTimeout: (why) => {
        this.#inviteDone();
        this.#finish({ kind: "failed", status: why === "timeout" ? 408 : 503, reason: `INVITE ${why}` });
        this.end("failed");
      },
    }) as InviteClientTransaction;
  }

  #inviteDone(): void {
    if (this.#inviteTx) {
      this.#inviteTx = null;
      this.pendingTx--;
    }
  }

  /** Gives up ringing: CANCEL now if a provisional came, else as soon as one does (§9.1). */
  cancel(): void {
    this.#cancelNow("cancelled");
  }

  #cancelNow(why: "no-answer" | "cancelled"): void {
    if (this.state !== "calling" && this.state !== "ringing") return;
    if (this.#cancel !== "none") return;
    this.#cancelWhy = why;
    this.#cancel = "wanted";
    if (this.#provisional) this.#sendCancel();
  }

  #sendCancel(): void {
    this.#cancel = "sent";
    const inv = this.#invite;
    const c = new OutgoingMessage(`CANCEL ${inv.startLine.split(" ")[1]} SIP/2.0`);
    c.addHeader("Via", inv.header("Via")!);
    for (const [n, v] of inv.headers) if (n.toLowerCase() === "route") c.addHeader("Route", v);
    c.addHeader("Max-Forwards", "70");
    c.addHeader("From", inv.header("From")!);
    c.addHeader("To", inv.header("To")!);
    c.addHeader("Call-ID", this.callId);
    c.addHeader("CSeq", `${inv.header("CSeq")!.split(/\s+/)[0]} CANCEL`);
    this.pendingTx++;
    const done = () => {
      this.pendingTx--;
    };
    this.host.layer.sendRequest(c, this.#target, {
      onResponse: (res) => {
        if ((res.statusCode ?? 0) >= 200) done();
      },
      onTimeout: () => done(),
    });
    // §9.1: no final response to the INVITE within 64*T1 of the CANCEL → treat it as cancelled.
    this.#cancelGuard = this.host.layer.timers.set(() => {
      this.#inviteTx?.terminate();
      this.#inviteDone();
      this.#finish({ kind: this.#cancelWhy, status: 408 });
      this.end(this.#cancelWhy === "no-answer" ? "timeout" : "local");
    }, 64 * this.host.layer.config.t1);
  }

  #onResponse(res: SipResponse): void {
    const status = res.statusCode ?? 0;
    if (status < 200) {
      this.#provisional = true;
      if (status > 100 && this.state === "calling") {
        this.moveTo("ringing");
        for (const fn of this.#ringingListeners) fn(status);
      }
      if (this.#cancel === "wanted") this.#sendCancel();
      return;
    }
    if (status < 300) {
      this.#on2xx(res);
      return;
    }
    this.#inviteDone();
    const challenge = status === 401
      ? res.getHeader("www-authenticate")
      : status === 407
      ? res.getHeader("proxy-authenticate")
      : undefined;
    if (challenge && this.host.options.credentials && !this.#authTried && this.#cancel === "none") {
      const uri = this.#invite.startLine.split(" ")[1];
      const auth = digestAuthorization(challenge, this.host.options.credentials, "INVITE", uri);
      if (auth) {
        this.#authTried = true;
        // Same dialog identifiers, next CSeq, new branch (§22.2).
        const next = new OutgoingMessage(this.#invite.startLine, [...this.#invite.headers], this.#invite.body);
        next.setHeader("Via", this.host.via(this.transport));
        next.setHeader("CSeq", `${Number(this.#invite.header("CSeq")!.split(/\s+/)[0]) + 1} INVITE`);
        next.addHeader(status === 401 ? "Authorization" : "Proxy-Authorization", auth);
        this.#invite = next;
        this.#provisional = false;
        log.info("answering digest challenge", { callId: this.callId, status });
        this.#sendInvite();
        return;
      }
    }
    const reason = res.reasonPhrase ?? "";
    if (status === 487 && this.#cancel !== "none") this.#finish({ kind: this.#cancelWhy, status });
    else if (status === 486 || status === 600 || status === 603) this.#finish({ kind: "busy", status });
    else if (status === 408 || status === 480 || status === 487) this.#finish({ kind: "no-answer", status });
    else this.#finish({ kind: "failed", status, reason });
    this.end(this.#cancel !== "none" ? (this.#cancelWhy === "no-answer" ? "timeout" : "local") : "failed");
  }

  #on2xx(res: SipResponse): void {
    if (this.dialog && res.toTag === this.dialog.remoteTag) {
      if (this.#ack) this.#sendAck(this.#ack); // a retransmitted 2xx: our ACK was lost
      return;
    }
    const dialog = Dialog.asUac(this.#invite, res, this.transport, "confirmed");
    const ack = dialog.request("ACK", this.host.via(this.transport), this.host.contact(this.transport), {
      seq: Number(this.#invite.header("CSeq")!.split(/\s+/)[0]),
    });
    if (this.dialog || this.state === "ended" || this.#cancel !== "none") {
      // Too late (cancelled, or a second fork answered): acknowledge, then hang up that leg (§13.2.2.4).
      this.#sendAck(ack);
      const bye = dialog.request("BYE", this.host.via(this.transport), this.host.contact(this.transport));
      this.host.resolve(dialog.nextHop(), this.transport).then((t) =>
        this.host.layer.sendRequest(bye, t, { onResponse: () => {}, onTimeout: () => {} })
      ).catch((err) => log.warn("BYE to a late answer not sent", { callId: this.callId, error: String(err) }));
      if (!this.dialog) {
        this.#finish({ kind: this.#cancelWhy, status: res.statusCode ?? 200 });
        this.end(this.#cancelWhy === "no-answer" ? "timeout" : "local");
      }
      return;
    }
    this.dialog = dialog;
    this.#ack = ack;
    this.host.addDialog(this);
    this.#sendAck(ack);
    this.#inviteDone();
    this.remoteSdp = res.body ? parseSdp(res.body) : null;
    this.moveTo("answered");
    this.#finish({ kind: "answered", status: res.statusCode ?? 200, remoteSdp: this.remoteSdp });
  }

  #sendAck(ack: OutgoingMessage): void {
    const d = this.dialog;
    this.host.resolve(d ? d.nextHop() : this.uri, this.transport).then((t) => this.host.sendRaw(t, ack)).catch(
      (err) => log.warn("ACK not sent", { callId: this.callId, error: String(err) }),
    );
  }

  /** A 2xx retransmission after the INVITE transaction is gone (Timer M passed): re-ACK. */
  stray2xx(res: SipResponse): void {
    if (this.#ack && this.dialog && res.toTag === this.dialog.remoteTag) this.#sendAck(this.#ack);
  }

  hangup(): void {
    if (this.state === "calling" || this.state === "ringing") {
      this.cancel();
      return;
    }
    if (this.state === "answered") {
      this.sendBye();
      this.end("local");
    }
  }

  protected override end(reason: EndReason): void {
    this.host.layer.timers.clear(this.#noAnswerTimer);
    if (!this.#settled) this.#finish({ kind: "failed", status: 0, reason });
    super.end(reason);
  }
}

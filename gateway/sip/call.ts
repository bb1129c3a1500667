// A call is one INVITE dialog usage (RFC 3261 §12–15) seen from either side: the state both kinds
// share (dialog, SDP, events), our 2xx retransmitted until its ACK, requests inside the dialog (BYE,
// INFO, OPTIONS, re-INVITE). IncomingCall and OutgoingCall add the UAS and UAC halves.

import { logger } from "../../lib/common/log.ts";
import type { Dialog } from "./dialog.ts";
import {
  ACCEPTED_INFO_TYPES,
  ACCEPTED_INVITE_TYPES,
  ALLOWED_METHODS,
  buildResponse,
  contentType,
  type OutgoingMessage,
  parseNameAddr,
  parseSdp,
  PICTURE_FAST_UPDATE,
  type Sdp,
  sdpDirection,
  type SipRequest,
  SUPPORTED_OPTIONS,
  writeSdp,
} from "./message.ts";
import type { InviteServerTransaction, ServerTransaction, TransactionLayer } from "./transaction.ts";
import type { Peer, TransportName } from "./transport.ts";
import type { SipEndpointOptions } from "./endpoint.ts";
import type { Transitions } from "../../lib/common/state.ts";

const log = logger("sip-call");

export interface Party {
  displayName: string | null;
  user: string | null;
  uri: string;
}

export type EndReason = "bye" | "cancel" | "timeout" | "local" | "failed";

type CallEvents = {
  dtmf: [digit: string, source: "info"];
  /** The peer asked for a key frame of our video (SIP INFO picture_fast_update, RFC 5168). */
  keyframe: [];
  ended: [reason: EndReason];
};

/** Answers a re-INVITE's offer with our SDP (hold: a=sendonly → we answer recvonly). */
export type ReinviteHandler = (remoteSdp: Sdp, direction: string) => string | Promise<string>;

export function party(value: string | undefined): Party {
  const na = value ? parseNameAddr(value) : undefined;
  return {
    displayName: na?.displayName || null,
    user: na?.uri.user ?? null,
    uri: na?.uri.toString() ?? "",
  };
}

export function dtmfDigit(type: string, body: string): string | null {
  let raw = body.trim();
  if (type === "application/dtmf-relay") {
    const m = /^\s*signal\s*=\s*(\S+)\s*$/im.exec(body);
    if (!m) return null;
    raw = m[1];
  }
  if (raw === "10") return "*";
  if (raw === "11") return "#";
  return /^[0-9*#A-Da-d]$/.test(raw) ? raw.toUpperCase() : null;
}

/** Our previous SDP re-issued as the answer to a re-INVITE: version bumped, direction mirrored. */
export function reanswer(localSdp: string, remote: Sdp | null): string {
  const sdp = parseSdp(localSdp);
  if (!sdp) return localSdp;
  if (sdp.origin) sdp.origin.sessionVersion = Number(sdp.origin.sessionVersion) + 1;
  const mirror: Record<string, string> = {
    sendonly: "recvonly",
    recvonly: "sendonly",
    inactive: "inactive",
    sendrecv: "sendrecv",
  };
  const dir = mirror[remote ? sdpDirection(remote) : "sendrecv"] ?? "sendrecv";
  delete sdp.direction;
  for (const m of sdp.media) m.direction = dir;
  return writeSdp(sdp);
}

export type CallState = "offered" | "ringing" | "answering" | "confirmed" | "calling" | "answered" | "ended";

/** What a dialog's calls need from the endpoint. */
export interface CallHost {
  layer: TransactionLayer;
  options: SipEndpointOptions;
  via(transport: TransportName): string;
  contact(transport: TransportName): string;
  resolve(uri: string, transport: TransportName, pinned?: Peer): Promise<Peer>;
  sendRaw(to: Peer, msg: OutgoingMessage): void;
  addDialog(call: SipCall): void;
  removeDialog(call: SipCall): void;
  forgetCall(call: SipCall): void;
}

export abstract class SipCall {
  abstract state: CallState;
  protected abstract transitions: Transitions<CallState>;
  dialog: Dialog | null = null;
  /** Our current SDP (offer or answer), so re-INVITEs can be answered without media knowledge. */
  localSdp: string | null = null;
  remoteSdp: Sdp | null = null;
  endReason: EndReason | null = null;
  #listeners = new Map<keyof CallEvents, ((...a: never[]) => void)[]>();
  #reinvite: ReinviteHandler | null = null;
  /** A 2xx of ours awaiting its ACK (initial INVITE or re-INVITE), retransmitted per §13.3.1.4. */
  protected pendingAck: {
    cseq: number;
    response: OutgoingMessage;
    target: Peer;
    timer?: number;
    giveUp?: number;
    resolve: (sdp: Sdp | null) => void;
    reject: (err: Error) => void;
  } | null = null;
  /** RFC 3261 §15: our BYE waits for the ACK of our 2xx. */
  protected byeAfterAck = false;
  protected pendingTx = 0;

  constructor(protected host: CallHost, readonly callId: string, readonly transport: TransportName) {}

  on<K extends keyof CallEvents>(event: K, fn: (...a: CallEvents[K]) => void): this {
    const list = this.#listeners.get(event) ?? [];
    list.push(fn as unknown as (...a: never[]) => void);
    this.#listeners.set(event, list);
    return this;
  }

  protected emit<K extends keyof CallEvents>(event: K, ...args: CallEvents[K]): void {
    for (const fn of this.#listeners.get(event) ?? []) {
      try {
        (fn as unknown as (...a: CallEvents[K]) => void)(...args);
      } catch (err) {
        log.error("call listener threw", { event, callId: this.callId, error: String(err) });
      }
    }
  }

  /** Called for re-INVITEs with an offer; without one we re-answer with our last SDP. */
  onReinvite(handler: ReinviteHandler): this {
    this.#reinvite = handler;
    return this;
  }

  protected moveTo(next: CallState): void {
    this.state = this.transitions.check(this.state, next, this.callId);
  }

  get ended(): boolean {
    return this.state === "ended";
  }

  /** Ends the call once: state, timers, dialog registry, one `ended` event. */
  protected end(reason: EndReason): void {
    if (this.state === "ended") return;
    this.moveTo("ended");
    this.endReason = reason;
    this.#stopRetransmit();
    if (this.pendingAck) {
      this.pendingAck.reject(new Error(`call ended (${reason}) before ACK`));
      this.pendingAck = null;
    }
    if (this.dialog && this.dialog.state !== "terminated") this.dialog.transition("terminated");
    this.host.removeDialog(this);
    log.info("call ended", { callId: this.callId, reason });
    this.emit("ended", reason);
    this.#maybeForget();
  }

  #maybeForget(): void {
    if (this.state === "ended" && this.pendingTx === 0) this.host.forgetCall(this);
  }

  /** Sends a 2xx in `tx` and retransmits it until the ACK (T1 doubling to T2; BYE after 64*T1). */
  protected sendReliable2xx(tx: InviteServerTransaction, res: OutgoingMessage): Promise<Sdp | null> {
    const { t1, t2 } = this.host.layer.config;
    tx.respond(res);
    return new Promise((resolve, reject) => {
      const pending = { cseq: tx.request.cseq, response: res, target: tx.target, resolve, reject } as NonNullable<
        typeof this.pendingAck
      >;
      this.pendingAck = pending;
      // Over TCP the transport is reliable: no retransmission, but still the 64*T1 deadline.
      if (tx.target.transport === "udp") {
        let interval = t1;
        const again = () => {
          if (this.pendingAck !== pending) return;
          this.host.sendRaw(pending.target, pending.response);
          interval = Math.min(interval * 2, t2);
          pending.timer = this.host.layer.timers.set(again, interval);
        };
        pending.timer = this.host.layer.timers.set(again, interval);
      }
      pending.giveUp = this.host.layer.timers.set(() => {
        if (this.pendingAck !== pending) return;
        log.warn("no ACK for 2xx, ending call", { callId: this.callId });
        this.#stopRetransmit();
        this.pendingAck = null;
        reject(new Error("no ACK for 2xx"));
        // §13.3.1.4: confirm the dialog and terminate it with BYE.
        this.sendBye();
        this.end("timeout");
      }, 64 * t1);
    });
  }

  #stopRetransmit(): void {
    if (!this.pendingAck) return;
    this.host.layer.timers.clear(this.pendingAck.timer);
    this.host.layer.timers.clear(this.pendingAck.giveUp);
  }

  /** An ACK for one of our 2xx (matched by dialog, or by transaction when the branch was reused). */
  onAck(ack: SipRequest): void {
    const pending = this.pendingAck;
    if (!pending || ack.cseq !== pending.cseq) return; // a retransmitted ACK: nothing to do
    this.#stopRetransmit();
    this.pendingAck = null;
    let sdp: Sdp | null = null;
    if (ack.body) {
      sdp = parseSdp(ack.body);
      if (sdp) this.remoteSdp = sdp;
      else log.warn("unparseable SDP in ACK", { callId: this.callId });
    }
    this.acked();
    pending.resolve(sdp);
    if (this.byeAfterAck) {
      this.byeAfterAck = false;
      this.sendBye();
    }
  }

  protected acked(): void {}

  /** Sends BYE in the dialog (no state change here: callers end the call themselves). */
  protected sendBye(): void {
    this.sendInDialog("BYE");
  }

  /**
   * Asks the peer's encoder for a key frame (SIP INFO picture_fast_update). Fire and forget: a peer
   * that does not understand it answers 415/501, which changes nothing.
   */
  requestKeyframe(): void {
    this.sendInDialog("INFO", { body: PICTURE_FAST_UPDATE, contentType: "application/media_control+xml" });
  }

  /** Sends a request inside the dialog (BYE, INFO) and keeps the call until its transaction ends. */
  protected sendInDialog(method: "BYE" | "INFO", opts: { body?: string; contentType?: string } = {}): void {
    const d = this.dialog;
    if (!d || this.state === "ended" && method !== "BYE") return;
    const req = d.request(method, this.host.via(d.transport), this.host.contact(d.transport), opts);
    this.pendingTx++;
    const done = () => {
      this.pendingTx--;
      this.#maybeForget();
    };
    this.host.resolve(d.nextHop(), d.transport, this.pinnedPeer()).then((target) => {
      this.host.layer.sendRequest(req, target, {
        onResponse: (res) => {
          if ((res.statusCode ?? 0) >= 200) done();
        },
        onTimeout: () => done(),
      });
    }).catch((err) => {
      log.warn(`${method} not sent`, { callId: this.callId, error: String(err) });
      done();
    });
  }

  /** For TCP dialogs we reuse the connection the dialog came up on (the peer's Contact port may not listen). */
  protected pinnedPeer(): Peer | undefined {
    return undefined;
  }

  /** Ends the call from our side: BYE when confirmed (after the ACK if it is still due). */
  abstract hangup(): void;

  /** A request inside this call's dialog, after transaction and CSeq checks. */
  async handleInDialog(req: SipRequest, tx: ServerTransaction): Promise<void> {
    const d = this.dialog!;
    const toTag = d.localTag;
    switch (req.method) {
      case "BYE": {
        tx.respond(buildResponse(req, 200, { toTag }));
        this.byeReceived();
        return;
      }
      case "INFO": {
        const type = contentType(req);
        if (type === null) {
          tx.respond(buildResponse(req, 200, { toTag })); // an empty INFO is a keepalive
          return;
        }
        if (!ACCEPTED_INFO_TYPES.includes(type)) {
          tx.respond(buildResponse(req, 415, { toTag, headers: [["Accept", ACCEPTED_INFO_TYPES.join(", ")]] }));
          return;
        }
        if (type === "application/media_control+xml") {
          if (!/<picture_fast_update\s*\/?>/.test(req.body)) {
            tx.respond(buildResponse(req, 400, { toTag, reason: "Unsupported media_control" }));
            return;
          }
          tx.respond(buildResponse(req, 200, { toTag }));
          this.emit("keyframe");
          return;
        }
        const digit = dtmfDigit(type, req.body);
        if (digit === null) {
          tx.respond(buildResponse(req, 400, { toTag, reason: "Bad DTMF" }));
          return;
        }
        tx.respond(buildResponse(req, 200, { toTag }));
        this.emit("dtmf", digit, "info");
        return;
      }
      case "OPTIONS":
        tx.respond(optionsResponse(req, toTag));
        return;
      case "INVITE":
        await this.#reinviteReceived(req, tx as InviteServerTransaction);
        return;
      default:
        tx.respond(buildResponse(req, 405, { toTag, headers: [["Allow", ALLOWED_METHODS.join(", ")]] }));
    }
  }

  protected byeReceived(): void {
    this.end("bye");
  }

  async #reinviteReceived(req: SipRequest, tx: InviteServerTransaction): Promise<void> {
    const toTag = this.dialog!.localTag;
    if (this.pendingAck || (this.state !== "confirmed" && this.state !== "answered")) {
      // §14.2: an INVITE arriving while ours is unfinished.
      tx.respond(buildResponse(req, 491, { toTag }));
      return;
    }
    tx.respond(buildResponse(req, 100));
    let remote: Sdp | null = null;
    if (req.body) {
      remote = parseSdp(req.body);
      if (!remote) {
        tx.respond(buildResponse(req, 488, { toTag, reason: "Bad SDP" }));
        return;
      }
    }
    let local: string;
    try {
      if (remote && this.#reinvite) local = await this.#reinvite(remote, sdpDirection(remote));
      else local = reanswer(this.localSdp ?? "", remote);
    } catch (err) {
      log.warn("re-INVITE refused by handler", { callId: this.callId, error: String(err) });
      if (tx.state === "proceeding") tx.respond(buildResponse(req, 488, { toTag }));
      return;
    }
    if (this.ended || tx.state !== "proceeding") return;
    if (remote) this.remoteSdp = remote;
    this.localSdp = local;
    const res = buildResponse(req, 200, {
      toTag,
      headers: [["Contact", this.host.contact(this.transport)], ["Allow", ALLOWED_METHODS.join(", ")]],
      body: local,
    });
    log.info("re-INVITE answered", { callId: this.callId, direction: remote ? sdpDirection(remote) : "late offer" });
    // It rejects only when no ACK came (logged there, and the call is ended with a BYE) or the call
    // ended first: either way the call's own state already says what happened.
    await this.sendReliable2xx(tx, res).catch(() => {});
  }
}

/** The 200 to an OPTIONS, in a dialog or outside one: what we allow, accept and support. */
export function optionsResponse(req: SipRequest, toTag: string): OutgoingMessage {
  return buildResponse(req, 200, {
    toTag,
    headers: [
      ["Allow", ALLOWED_METHODS.join(", ")],
      ["Accept", [...ACCEPTED_INVITE_TYPES, ...ACCEPTED_INFO_TYPES].join(", ")],
      ["Supported", SUPPORTED_OPTIONS.join(", ")],
    ],
  });
}

// The SIP endpoint: UAS and UAC core (RFC 3261 §8, §12–15) over our transport and transaction
// layers. Call control plugs in through onInvite() and call(); media is not our concern here.

import { logger } from "../../lib/log.ts";
import { AccessControl, type AccessPolicy, digestAuthorization } from "./access.ts";
import { Dialog, dialogKey, newTag, uriTarget } from "./dialog.ts";
import {
  ACCEPTED_INFO_TYPES,
  ACCEPTED_INVITE_TYPES,
  ALLOWED_METHODS,
  buildResponse,
  checkRequest,
  contentType,
  newBranch,
  OutgoingMessage,
  parseMessage,
  parseNameAddr,
  parseSdp,
  PICTURE_FAST_UPDATE,
  randomToken,
  type Sdp,
  sdpDirection,
  type SipRequest,
  type SipResponse,
  SUPPORTED_OPTIONS,
  writeSdp,
} from "./message.ts";
import {
  checkTransition,
  type InviteClientTransaction,
  InviteServerTransaction,
  type NonInviteServerTransaction,
  type ServerTransaction,
  type TimerConfig,
  TransactionLayer,
} from "./transaction.ts";
import { type Peer, responseTarget, SipTransport, stampVia, type TransportName, type ViaInfo } from "./transport.ts";

const log = logger("sip-ua");

export interface SipEndpointOptions {
  /** Listen address; production default 0.0.0.0:5060 (see config.ts). */
  host: string;
  port: number;
  udp?: boolean;
  tcp?: boolean;
  /** Host put in our Via and Contact; defaults to `host` (127.0.0.1 when host is 0.0.0.0). */
  advertisedHost?: string;
  timers?: Partial<TimerConfig>;
  access?: AccessPolicy;
  /** Credentials for our dial-outs when a trunk or proxy challenges with 401/407. */
  credentials?: { username: string; password: string };
  /** Dial-outs ringing this long without an answer are CANCELled (outcome no-answer). */
  noAnswerTimeoutMs?: number;
  maxMessageBytes?: number;
  userAgent?: string;
}

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

function party(value: string | undefined): Party {
  const na = value ? parseNameAddr(value) : undefined;
  return {
    displayName: na?.displayName || null,
    user: na?.uri.user ?? null,
    uri: na?.uri.toString() ?? "",
  };
}

/** The digit of an INFO body: `Signal=5` (application/dtmf-relay) or `5` (application/dtmf). */
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

// ---------------------------------------------------------------- calls

export type CallState = "offered" | "ringing" | "answering" | "confirmed" | "calling" | "answered" | "ended";

/** What a dialog's calls need from the endpoint. */
interface CallHost {
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

abstract class SipCall {
  abstract state: CallState;
  protected abstract transitions: Record<CallState, readonly CallState[]>;
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
    checkTransition(`${this.constructor.name} ${this.callId}`, this.transitions, this.state, next);
    this.state = next;
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
    await this.sendReliable2xx(tx, res).catch(() => {});
  }
}

function optionsResponse(req: SipRequest, toTag: string): OutgoingMessage {
  return buildResponse(req, 200, {
    toTag,
    headers: [
      ["Allow", ALLOWED_METHODS.join(", ")],
      ["Accept", [...ACCEPTED_INVITE_TYPES, ...ACCEPTED_INFO_TYPES].join(", ")],
      ["Supported", SUPPORTED_OPTIONS.join(", ")],
    ],
  });
}

const INCOMING: Record<CallState, readonly CallState[]> = {
  offered: ["ringing", "answering", "ended"],
  ringing: ["answering", "ended"],
  answering: ["confirmed", "ended"],
  confirmed: ["ended"],
  calling: [],
  answered: [],
  ended: [],
};

/** An INVITE we received. The handler decides: ringing(), answer(sdp) or reject(status). */
export class IncomingCall extends SipCall {
  state: CallState = "offered";
  protected transitions = INCOMING;
  readonly localTag = newTag();
  readonly requestUri: { uri: string; user: string | null; host: string };
  readonly from: Party;
  readonly to: Party;
  /** The authenticated digest user, when access control asked for one. */
  readonly authenticatedUser: string | null;

  constructor(
    host: CallHost,
    readonly invite: SipRequest,
    readonly transaction: InviteServerTransaction,
    readonly source: Peer,
    authenticatedUser: string | null,
  ) {
    super(host, invite.callId, source.transport);
    const ruri = invite.ruri!;
    this.requestUri = { uri: ruri.toString(), user: ruri.user ?? null, host: ruri.host };
    this.from = party(invite.getHeader("from"));
    this.to = party(invite.getHeader("to"));
    this.remoteSdp = invite.body ? parseSdp(invite.body) : null;
    this.authenticatedUser = authenticatedUser;
  }

  /** The caller's raw SDP offer, or null for a late offer (we offer in the 200, they answer in ACK). */
  get remoteSdpText(): string | null {
    return this.invite.body || null;
  }

  protected override pinnedPeer(): Peer | undefined {
    return this.source.transport === "tcp" ? this.source : undefined;
  }

  #respond(status: number, opts: { reason?: string; headers?: [string, string][]; body?: string } = {}): void {
    this.transaction.respond(buildResponse(this.invite, status, { toTag: this.localTag, ...opts }));
  }

  /** 100 Trying goes out as soon as the INVITE arrives; this is here for symmetry and is idempotent. */
  trying(): void {
    if (this.state === "offered" && !this.transaction.lastResponse) this.#respond(100);
  }

  /** 180 Ringing, with a Contact so the early dialog has a target. */
  ringing(): void {
    if (this.state === "ringing") return;
    this.moveTo("ringing");
    this.#ensureDialog("early");
    this.#respond(180, { headers: [["Contact", this.host.contact(this.transport)]] });
  }

  #ensureDialog(state: "early" | "confirmed"): void {
    if (!this.dialog) {
      this.dialog = Dialog.asUas(this.invite, this.localTag, this.transport, state);
      this.host.addDialog(this);
    } else if (state === "confirmed" && this.dialog.state === "early") {
      this.dialog.transition("confirmed");
    }
  }

  /**
   * Sends 200 with `localSdp` and resolves on the ACK: with the caller's answer SDP for a late offer,
   * null when the offer was in the INVITE. Rejects if the call ends first (CANCEL, no ACK).
   */
  answer(localSdp: string): Promise<Sdp | null> {
    this.moveTo("answering");
    this.#ensureDialog("confirmed");
    this.localSdp = localSdp;
    const res = buildResponse(this.invite, 200, {
      toTag: this.localTag,
      headers: [["Contact", this.host.contact(this.transport)], ["Allow", ALLOWED_METHODS.join(", ")]],
      body: localSdp,
    });
    return this.sendReliable2xx(this.transaction, res);
  }

  protected override acked(): void {
    if (this.state === "answering") this.moveTo("confirmed");
  }

  /** A final non-2xx (404, 403, 486, …) to the INVITE. */
  reject(status: number, reason?: string, extra: { headers?: [string, string][]; body?: string } = {}): void {
    if (status < 300 || status > 699) throw new Error(`reject needs a 3xx–6xx status, got ${status}`);
    if (this.state !== "offered" && this.state !== "ringing") {
      throw new Error(`IncomingCall ${this.callId}: cannot reject in state ${this.state}`);
    }
    this.#respond(status, { reason, ...extra });
    this.end("local");
  }

  hangup(): void {
    switch (this.state) {
      case "offered":
      case "ringing":
        this.reject(480);
        return;
      case "answering":
        this.byeAfterAck = true; // §15: BYE only after the ACK (or when the 2xx times out)
        this.end("local");
        return;
      case "confirmed":
        this.sendBye();
        this.end("local");
        return;
    }
  }

  /** CANCEL matched our INVITE transaction (the 200 to the CANCEL is already sent). */
  cancelled(): void {
    if (this.state !== "offered" && this.state !== "ringing") return; // too late: the 2xx won (§9.2)
    this.#respond(487);
    this.end("cancel");
  }

  protected override byeReceived(): void {
    // BYE in an early dialog: the INVITE still needs its final response (§15.1.2).
    if (this.state === "offered" || this.state === "ringing") this.#respond(487);
    this.end("bye");
  }

  protected override end(reason: EndReason): void {
    // A late ACK is still welcome after a local hangup in `answering`: keep the dialog until then.
    const keepForAck = this.byeAfterAck && this.pendingAck !== null;
    if (!keepForAck) {
      super.end(reason);
      return;
    }
    const pending = this.pendingAck!;
    this.pendingAck = null;
    super.end(reason);
    this.pendingAck = pending;
    this.host.addDialog(this);
    pending.resolve = () => this.host.removeDialog(this);
    pending.reject = () => this.host.removeDialog(this);
  }
}

const OUTGOING: Record<CallState, readonly CallState[]> = {
  calling: ["ringing", "answered", "ended"],
  ringing: ["answered", "ended"],
  answered: ["ended"],
  offered: [],
  answering: [],
  confirmed: [],
  ended: [],
};

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
    super(host, randomToken(12), options.transport ?? "udp");
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
    inv.addHeader("CSeq", `${1 + Math.floor(Math.random() * 10_000)} INVITE`);
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
      ).catch(() => {});
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

// ---------------------------------------------------------------- the endpoint

export type InviteHandler = (call: IncomingCall) => void | Promise<void>;

export interface EndpointStats {
  serverTransactions: number;
  clientTransactions: number;
  timers: number;
  dialogs: number;
  calls: number;
  tcpConnections: number;
}

export class SipEndpoint implements CallHost {
  readonly options: SipEndpointOptions & { advertisedHost: string };
  readonly layer: TransactionLayer;
  readonly transport: SipTransport;
  #access: AccessControl;
  #handler: InviteHandler | null = null;
  #dialogs = new Map<string, SipCall>();
  #calls = new Set<SipCall>();
  /** Counters a test or /health can read. */
  readonly counters = { received: 0, dropped: 0, rejected: 0 };

  constructor(options: SipEndpointOptions) {
    const advertisedHost = options.advertisedHost ??
      (options.host === "0.0.0.0" || options.host === "::" ? "127.0.0.1" : options.host);
    this.options = { ...options, advertisedHost };
    this.#access = new AccessControl(options.access);
    this.transport = new SipTransport(
      {
        host: options.host,
        port: options.port,
        udp: options.udp,
        tcp: options.tcp,
        maxMessageBytes: options.maxMessageBytes,
      },
      (bytes, from) => this.#receive(bytes, from),
    );
    this.layer = new TransactionLayer(options.timers ?? {}, (to, data) => this.transport.send(to, data));
  }

  get port(): number {
    return this.transport.port;
  }

  start(): void {
    this.transport.start();
  }

  /** Stops listening; live calls are dropped without signalling (the process is going away). */
  async stop(): Promise<void> {
    this.layer.terminateAll();
    this.#dialogs.clear();
    this.#calls.clear();
    await this.transport.stop();
  }

  onInvite(handler: InviteHandler): void {
    this.#handler = handler;
  }

  /** Dials out. The returned call's `outcome` says how it went; events as for incoming calls. */
  call(uri: string, sdp: string, options: DialOptions = {}): OutgoingCall {
    const call = new OutgoingCall(this, uri, sdp, options);
    this.#calls.add(call);
    call.start().catch((err) => log.error("dial-out failed", { uri, error: String(err) }));
    return call;
  }

  stats(): EndpointStats {
    const c = this.layer.counts;
    return {
      serverTransactions: c.server,
      clientTransactions: c.client,
      timers: c.timers,
      dialogs: this.#dialogs.size,
      calls: this.#calls.size,
      tcpConnections: this.transport.connectionCount,
    };
  }

  // CallHost --------------------------------------------------------------

  via(transport: TransportName): string {
    return `SIP/2.0/${transport.toUpperCase()} ${this.options.advertisedHost}:${this.port};branch=${newBranch()};rport`;
  }

  contact(transport: TransportName): string {
    const t = transport === "tcp" ? ";transport=tcp" : "";
    return `<sip:talkspace@${this.options.advertisedHost}:${this.port}${t}>`;
  }

  async resolve(uri: string, transport: TransportName, pinned?: Peer): Promise<Peer> {
    const t = uriTarget(uri, transport);
    if (!t) throw new Error(`unusable URI ${uri}`);
    if (pinned && pinned.transport === t.transport) return pinned;
    let ip = t.host;
    if (!/^[\d.]+$/.test(ip) && !ip.includes(":")) {
      // Plain A lookup; SRV/NAPTR (RFC 3263) is left for when trunks need it.
      ip = (await Deno.resolveDns(ip, "A"))[0];
    }
    return { transport: t.transport, ip, port: t.port };
  }

  sendRaw(to: Peer, msg: OutgoingMessage): void {
    this.transport.send(to, msg.toBytes()).catch((err) => log.warn("send failed", { error: String(err) }));
  }

  addDialog(call: SipCall): void {
    if (call.dialog) this.#dialogs.set(call.dialog.key, call);
  }

  removeDialog(call: SipCall): void {
    if (call.dialog && this.#dialogs.get(call.dialog.key) === call) this.#dialogs.delete(call.dialog.key);
  }

  forgetCall(call: SipCall): void {
    this.#calls.delete(call);
  }

  // receive path ----------------------------------------------------------

  #receive(bytes: Uint8Array, from: Peer): void {
    this.counters.received++;
    const parsed = parseMessage(bytes);
    switch (parsed.kind) {
      case "drop":
        this.counters.dropped++;
        log.info("message dropped", { ip: from.ip, transport: from.transport, reason: parsed.reason });
        return;
      case "reject": {
        this.counters.rejected++;
        log.info("malformed request answered", { ip: from.ip, status: parsed.response.status, reason: parsed.reason });
        // No Via we trust: answer the source address itself.
        this.sendRaw(from, parsed.response);
        return;
      }
      case "response":
        this.#onResponse(parsed.response);
        return;
      case "request":
        this.#onRequest(parsed.request, from);
    }
  }

  #onResponse(res: SipResponse): void {
    const tx = this.layer.findClient(res);
    if (tx) {
      (tx as { receive(r: SipResponse): void }).receive(res);
      return;
    }
    if (res.method === "INVITE" && (res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300) {
      const call = this.#dialogs.get(dialogKey(res.callId, res.fromTag, res.toTag ?? ""));
      if (call instanceof OutgoingCall) call.stray2xx(res);
      return;
    }
    this.counters.dropped++;
  }

  #onRequest(req: SipRequest, source: Peer): void {
    const viaHeader = req.headers["Via"]![0];
    const via = req.via as unknown as ViaInfo & { params?: Record<string, unknown> };
    const rport = via.params && "rport" in via.params ? via.params.rport : (via as { rport?: unknown }).rport;
    const info: ViaInfo = {
      ...via,
      rport: rport === undefined && !/;\s*rport/i.test(viaHeader.raw) ? undefined : null,
    };
    viaHeader.raw = stampVia(viaHeader.raw, info, source);
    const target = responseTarget(info, source);

    const existing = this.layer.findServer(req);
    if (existing) {
      existing.receive(req);
      return;
    }
    if (req.method === "ACK") {
      const call = this.#dialogs.get(dialogKey(req.callId, req.toTag ?? "", req.fromTag ?? ""));
      if (call) call.onAck(req);
      return;
    }
    const tx = this.layer.createServer(req, target);
    const toTag = req.toTag || newTag();
    const reject = checkRequest(req, toTag);
    if (reject) {
      this.counters.rejected++;
      tx.respond(reject);
      return;
    }
    if (req.method === "CANCEL") {
      this.#onCancel(req, tx as NonInviteServerTransaction);
      return;
    }
    if (req.toTag) {
      const call = this.#dialogs.get(dialogKey(req.callId, req.toTag, req.fromTag ?? ""));
      if (!call || !call.dialog) {
        tx.respond(buildResponse(req, 481));
        return;
      }
      if (!call.dialog.acceptRemote(req)) {
        tx.respond(buildResponse(req, 500, { reason: "CSeq Out of Order" }));
        return;
      }
      call.handleInDialog(req, tx).catch((err) => this.#internalError(req, tx, toTag, err));
      return;
    }
    if (req.method === "BYE" || req.method === "INFO") {
      tx.respond(buildResponse(req, 481, { toTag }));
      return;
    }
    const decision = this.#access.check(req, source.ip);
    if (decision.kind === "deny") {
      log.info("request refused", { ip: source.ip, method: req.method, reason: decision.reason });
      tx.respond(buildResponse(req, 403, { toTag }));
      return;
    }
    if (decision.kind === "challenge") {
      tx.respond(buildResponse(req, 401, { toTag, headers: [["WWW-Authenticate", decision.header]] }));
      return;
    }
    if (req.method === "OPTIONS") {
      tx.respond(optionsResponse(req, toTag));
      return;
    }
    // INVITE outside a dialog: a new call.
    if (req.body && !parseSdp(req.body)) {
      tx.respond(buildResponse(req, 488, { toTag, reason: "Bad SDP" }));
      return;
    }
    const inviteTx = tx as InviteServerTransaction;
    // 100 right away: it stops the caller's Timer A however long call control takes.
    inviteTx.respond(buildResponse(req, 100));
    const call = new IncomingCall(this, req, inviteTx, source, decision.user);
    this.#calls.add(call);
    inviteTx.events.onTimeout = () => call.ended || call.hangup();
    inviteTx.events.onAck = (ack) => call.onAck(ack);
    if (!this.#handler) {
      call.reject(480);
      return;
    }
    log.info("incoming call", { callId: call.callId, to: call.requestUri.user, from: call.from.user });
    Promise.resolve().then(() => this.#handler!(call)).catch((err) => {
      log.error("invite handler threw", { callId: call.callId, error: String(err) });
      if (call.state === "offered" || call.state === "ringing") call.reject(500);
    });
  }

  #onCancel(req: SipRequest, tx: NonInviteServerTransaction): void {
    const inviteTx = this.layer.findInviteForCancel(req);
    const call = inviteTx
      ? [...this.#calls].find((c) => c instanceof IncomingCall && c.transaction === inviteTx)
      : null;
    if (!inviteTx || !call) {
      tx.respond(buildResponse(req, 481, { toTag: req.toTag || newTag() }));
      return;
    }
    const incoming = call as IncomingCall;
    // §9.2: the CANCEL's 200 carries the same To-tag as the INVITE's responses.
    tx.respond(buildResponse(req, 200, { toTag: incoming.localTag }));
    incoming.cancelled();
  }

  #internalError(req: SipRequest, tx: ServerTransaction, toTag: string, err: unknown): void {
    log.error("request handling failed", { method: req.method, callId: req.callId, error: String(err) });
    try {
      if (tx.state === "proceeding" || tx.state === "trying") tx.respond(buildResponse(req, 500, { toTag }));
    } catch { /* already answered */ }
  }
}

export { InviteServerTransaction };

// The SIP endpoint: UAS and UAC core (RFC 3261 §8, §12–15) over our transport and transaction
// layers; it routes each message to its transaction, dialog or a new IncomingCall. Call control
// plugs in through onInvite() and call(); media is not our concern here.

import { logger } from "../../lib/common/log.ts";
import { AccessControl, type AccessPolicy } from "./access.ts";
import { dialogKey, newTag, uriTarget } from "./dialog.ts";
import {
  buildResponse,
  checkRequest,
  newBranch,
  type OutgoingMessage,
  parseMessage,
  parseSdp,
  type SipRequest,
  type SipResponse,
} from "./message.ts";
import {
  type InviteServerTransaction,
  type NonInviteServerTransaction,
  type ServerTransaction,
  type TimerConfig,
  TransactionLayer,
} from "./transaction.ts";
import { type Peer, responseTarget, SipTransport, stampVia, type TransportName, type ViaInfo } from "./transport.ts";
import { type CallHost, optionsResponse, type SipCall } from "./call.ts";
import { IncomingCall } from "./incoming_call.ts";
import { type DialOptions, OutgoingCall } from "./outgoing_call.ts";

const log = logger("sip-endpoint");

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

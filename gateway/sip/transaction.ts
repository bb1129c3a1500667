// SIP transactions (RFC 3261 §17, with RFC 6026's Accepted state): the four state machines, their
// timers, request/response matching, and the response cache that answers retransmitted requests.
// Every timer goes through one TimerSet so tests can prove nothing is left running.

import { logger } from "../../lib/common/log.ts";
import { OutgoingMessage, type SipRequest, type SipResponse } from "./message.ts";
import type { Peer } from "./transport.ts";
import { type Transitions, transitionTable } from "../../lib/common/state.ts";

const log = logger("sip-transaction");

export interface TimerConfig {
  /** RTT estimate (Timer A/E/G base). */
  t1: number;
  /** Cap for non-INVITE and final-response retransmit intervals. */
  t2: number;
  /** How long a message may stay in the network (Timers I, K). */
  t4: number;
}

export const DEFAULT_TIMERS: TimerConfig = { t1: 500, t2: 4000, t4: 5000 };

/** Counts live timers; one instance per endpoint. */
export class TimerSet {
  #live = new Set<number>();

  set(fn: () => void, ms: number): number {
    // Deno's setTimeout returns a number; the lib's Node-style typing says otherwise.
    const id = setTimeout(() => {
      this.#live.delete(id);
      fn();
    }, ms) as unknown as number;
    this.#live.add(id);
    return id;
  }

  clear(id: number | undefined): void {
    if (id === undefined) return;
    clearTimeout(id);
    this.#live.delete(id);
  }

  get size(): number {
    return this.#live.size;
  }

  clearAll(): void {
    for (const id of this.#live) clearTimeout(id);
    this.#live.clear();
  }
}

export type Sender = (to: Peer, data: Uint8Array) => Promise<void>;

interface Layer {
  timers: TimerSet;
  config: TimerConfig;
  send: Sender;
  remove(key: string, tx: unknown): void;
}

/**
 * What every transaction machine shares: its checked state, where it sends, and its timers, each
 * registered in the layer's TimerSet and dropped from this transaction's list when it fires.
 */
abstract class TransactionBase<S extends string> {
  abstract state: S | "terminated";
  protected abstract readonly transitions: Transitions<S | "terminated">;
  protected timers: number[] = [];

  constructor(
    protected layer: Layer,
    readonly key: string,
    /** Where this transaction's messages go (for a server, fixed when the request arrived: §18.2.2). */
    readonly target: Peer,
  ) {}

  get reliable(): boolean {
    return this.target.transport !== "udp";
  }

  protected to(next: S | "terminated"): void {
    this.state = this.transitions.check(this.state, next);
  }

  protected timer(fn: () => void, ms: number): void {
    const id = this.layer.timers.set(() => {
      this.timers = this.timers.filter((t) => t !== id);
      fn();
    }, ms);
    this.timers.push(id);
  }

  protected clearTimers(): void {
    for (const t of this.timers) this.layer.timers.clear(t);
    this.timers = [];
  }
}

/** Both non-INVITE machines (§17.1.2, §17.2.2) move through the same states. */
function nonInviteTable(machine: string) {
  return transitionTable<NonInviteState>(machine, {
    trying: ["proceeding", "completed", "terminated"],
    proceeding: ["completed", "terminated"],
    completed: ["terminated"],
    terminated: [],
  });
}
type NonInviteState = "trying" | "proceeding" | "completed" | "terminated";

// ---------------------------------------------------------------- server transactions

export type InviteServerState = "proceeding" | "completed" | "confirmed" | "accepted" | "terminated";
const INVITE_SERVER = transitionTable<InviteServerState>("INVITE server transaction", {
  proceeding: ["completed", "accepted", "terminated"],
  completed: ["confirmed", "terminated"],
  confirmed: ["terminated"],
  accepted: ["terminated"],
  terminated: [],
});

export type NonInviteServerState = NonInviteState;
const NON_INVITE_SERVER = nonInviteTable("non-INVITE server transaction");

export interface ServerTransactionEvents {
  /** Timer H fired: our final non-2xx response was never acknowledged. */
  onTimeout?(): void;
  /** An ACK matched this transaction after a 2xx (clients reusing the INVITE's branch). */
  onAck?(ack: SipRequest): void;
  onTerminated?(): void;
}

abstract class ServerTransactionBase<S extends string> extends TransactionBase<S> {
  /** The last response sent: what a retransmitted request gets. */
  lastResponse: OutgoingMessage | null = null;
  events: ServerTransactionEvents = {};

  constructor(layer: Layer, key: string, readonly request: SipRequest, target: Peer) {
    super(layer, key, target);
  }

  protected transmit(res: OutgoingMessage): void {
    this.layer.send(this.target, res.toBytes()).catch((err) => {
      log.warn("response not sent", { status: res.status, error: String(err) });
    });
  }

  protected end(): void {
    if (this.state === "terminated") return;
    this.to("terminated");
    this.clearTimers();
    this.layer.remove(this.key, this);
    this.events.onTerminated?.();
  }

  /** Transport failure or endpoint shutdown. */
  terminate(): void {
    this.end();
  }
}

export class InviteServerTransaction extends ServerTransactionBase<InviteServerState> {
  state: InviteServerState = "proceeding";

  protected readonly transitions = INVITE_SERVER;

  respond(res: OutgoingMessage): void {
    if (this.state !== "proceeding") {
      throw new Error(`INVITE server transaction: cannot send ${res.status} in state ${this.state}`);
    }
    this.lastResponse = res;
    this.transmit(res);
    const { t1, t2 } = this.layer.config;
    if (res.status < 200) return;
    if (res.status < 300) {
      // RFC 6026 §8.5: stay to absorb INVITE retransmissions; the UA core retransmits the 2xx.
      this.to("accepted");
      this.timer(() => this.end(), 64 * t1); // Timer L
      return;
    }
    this.to("completed");
    if (!this.reliable) {
      let interval = t1;
      const retransmit = () => {
        if (this.state !== "completed") return;
        this.transmit(res);
        interval = Math.min(2 * interval, t2);
        this.timer(retransmit, interval); // Timer G
      };
      this.timer(retransmit, interval);
    }
    this.timer(() => { // Timer H
      if (this.state !== "completed") return;
      log.info("no ACK for final response", { status: res.status, callId: this.request.callId });
      this.events.onTimeout?.();
      this.end();
    }, 64 * t1);
  }

  /** A retransmitted INVITE or an ACK matched this transaction. */
  receive(req: SipRequest): void {
    if (req.method === "ACK") {
      if (this.state === "completed") {
        this.clearTimers();
        this.to("confirmed");
        if (this.reliable) this.end();
        else this.timer(() => this.end(), this.layer.config.t4); // Timer I
      } else if (this.state === "accepted") {
        this.events.onAck?.(req);
      }
      return;
    }
    // The response cache: a retransmitted INVITE gets whatever we said last.
    if (this.lastResponse && this.state !== "confirmed") this.transmit(this.lastResponse);
  }
}

export class NonInviteServerTransaction extends ServerTransactionBase<NonInviteServerState> {
  state: NonInviteServerState = "trying";

  protected readonly transitions = NON_INVITE_SERVER;

  respond(res: OutgoingMessage): void {
    if (this.state === "completed" || this.state === "terminated") {
      throw new Error(`non-INVITE server transaction: cannot send ${res.status} in state ${this.state}`);
    }
    this.lastResponse = res;
    this.transmit(res);
    if (res.status < 200) {
      if (this.state === "trying") this.to("proceeding");
      return;
    }
    this.to("completed");
    // Timer J: keep answering retransmissions from the cache for 64*T1 (0 on reliable transports).
    if (this.reliable) this.end();
    else this.timer(() => this.end(), 64 * this.layer.config.t1);
  }

  receive(_req: SipRequest): void {
    if (this.lastResponse) this.transmit(this.lastResponse);
  }
}

export type ServerTransaction = InviteServerTransaction | NonInviteServerTransaction;

// ---------------------------------------------------------------- client transactions

export type InviteClientState = "calling" | "proceeding" | "completed" | "accepted" | "terminated";
const INVITE_CLIENT = transitionTable<InviteClientState>("INVITE client transaction", {
  calling: ["proceeding", "completed", "accepted", "terminated"],
  proceeding: ["completed", "accepted", "terminated"],
  completed: ["terminated"],
  accepted: ["terminated"],
  terminated: [],
});

export type NonInviteClientState = NonInviteState;
const NON_INVITE_CLIENT = nonInviteTable("non-INVITE client transaction");

export interface ClientTransactionUser {
  /** Every response the TU must see (provisionals, finals, and 2xx retransmissions for INVITE). */
  onResponse(res: SipResponse): void;
  /** Timer B/F fired, or the transport failed: the TU treats it as 408/503. */
  onTimeout(reason: "timeout" | "transport"): void;
}

abstract class ClientTransactionBase<S extends string> extends TransactionBase<S> {
  constructor(
    layer: Layer,
    key: string,
    readonly request: OutgoingMessage,
    target: Peer,
    protected user: ClientTransactionUser,
  ) {
    super(layer, key, target);
  }

  protected transmit(msg: OutgoingMessage): void {
    this.layer.send(this.target, msg.toBytes()).catch((err) => {
      log.warn("request not sent", { method: msg.method, error: String(err) });
      this.transportError();
    });
  }

  protected transportError(): void {
    if (this.state === "terminated") return;
    this.end();
    this.user.onTimeout("transport");
  }

  protected end(): void {
    if (this.state === "terminated") return;
    this.clearTimers();
    this.to("terminated");
    this.layer.remove(this.key, this);
  }

  terminate(): void {
    this.end();
  }
}

export class InviteClientTransaction extends ClientTransactionBase<InviteClientState> {
  state: InviteClientState = "calling";

  protected readonly transitions = INVITE_CLIENT;

  start(): void {
    this.transmit(this.request);
    const { t1 } = this.layer.config;
    if (!this.reliable) {
      let interval = t1;
      const retransmit = () => { // Timer A: doubles with no cap while Calling.
        if (this.state !== "calling") return;
        this.transmit(this.request);
        interval *= 2;
        this.timer(retransmit, interval);
      };
      this.timer(retransmit, interval);
    }
    this.timer(() => { // Timer B
      if (this.state !== "calling") return;
      this.end();
      this.user.onTimeout("timeout");
    }, 64 * t1);
  }

  receive(res: SipResponse): void {
    const status = res.statusCode ?? 0;
    const { t1 } = this.layer.config;
    if (status < 200) {
      if (this.state === "calling" || this.state === "proceeding") {
        if (this.state === "calling") {
          this.clearTimers(); // a provisional stops A and B; the TU's own ring timeout takes over
          this.to("proceeding");
        }
        this.user.onResponse(res);
      }
      return;
    }
    if (status < 300) {
      if (this.state === "calling" || this.state === "proceeding") {
        this.clearTimers();
        this.to("accepted");
        this.timer(() => this.end(), 64 * t1); // Timer M: pass 2xx retransmissions up for re-ACK
      }
      if (this.state === "accepted") this.user.onResponse(res);
      return;
    }
    if (this.state === "calling" || this.state === "proceeding") {
      this.clearTimers();
      this.to("completed");
      this.transmit(this.#ackFor(res));
      // Timer D ≥ 32 s on UDP: 64*T1 is exactly that with the default T1, and scales in tests.
      if (this.reliable) this.end();
      else this.timer(() => this.end(), 64 * t1);
      this.user.onResponse(res);
    } else if (this.state === "completed") {
      this.transmit(this.#ackFor(res)); // a retransmitted final: ACK again, TU already knows
    }
  }

  /** §17.1.1.3: the ACK for a non-2xx final belongs to the transaction (same branch). */
  #ackFor(res: SipResponse): OutgoingMessage {
    const req = this.request;
    const ack = new OutgoingMessage(`ACK ${req.startLine.split(" ")[1]} SIP/2.0`);
    ack.addHeader("Via", req.header("Via")!);
    for (const [n, v] of req.headers) if (n.toLowerCase() === "route") ack.addHeader("Route", v);
    ack.addHeader("Max-Forwards", "70");
    ack.addHeader("From", req.header("From")!);
    ack.addHeader("To", res.getHeader("to") ?? req.header("To")!);
    ack.addHeader("Call-ID", req.header("Call-ID")!);
    ack.addHeader("CSeq", `${req.header("CSeq")!.split(/\s+/)[0]} ACK`);
    return ack;
  }
}

export class NonInviteClientTransaction extends ClientTransactionBase<NonInviteClientState> {
  state: NonInviteClientState = "trying";

  protected readonly transitions = NON_INVITE_CLIENT;

  start(): void {
    this.transmit(this.request);
    const { t1, t2 } = this.layer.config;
    if (!this.reliable) {
      let interval = t1;
      const retransmit = () => { // Timer E: doubles up to T2; in Proceeding it stays at T2.
        if (this.state !== "trying" && this.state !== "proceeding") return;
        this.transmit(this.request);
        interval = this.state === "proceeding" ? t2 : Math.min(2 * interval, t2);
        this.timer(retransmit, interval);
      };
      this.timer(retransmit, interval);
    }
    this.timer(() => { // Timer F
      if (this.state !== "trying" && this.state !== "proceeding") return;
      this.end();
      this.user.onTimeout("timeout");
    }, 64 * t1);
  }

  receive(res: SipResponse): void {
    const status = res.statusCode ?? 0;
    if (this.state !== "trying" && this.state !== "proceeding") return; // retransmitted final: absorbed
    if (status < 200) {
      if (this.state === "trying") this.to("proceeding");
      this.user.onResponse(res);
      return;
    }
    this.clearTimers();
    this.to("completed");
    // Timer K: absorb retransmitted finals for T4 (0 on reliable transports).
    if (this.reliable) this.end();
    else this.timer(() => this.end(), this.layer.config.t4);
    this.user.onResponse(res);
  }
}

export type ClientTransaction = InviteClientTransaction | NonInviteClientTransaction;

// ---------------------------------------------------------------- the layer

/** Key of a server transaction (§17.2.3): branch + sent-by + method, ACK folded onto INVITE. */
export function serverKey(req: SipRequest): string {
  const via = req.via as unknown as { host: string; port?: number; branch?: string };
  const method = req.method === "ACK" ? "INVITE" : req.method;
  const branch = via.branch ?? "";
  if (branch.startsWith("z9hG4bK")) return `${branch}|${via.host}:${via.port ?? ""}|${method}`;
  // RFC 2543 peers: fall back to the dialog and CSeq identifiers (§17.2.3's older rule, simplified).
  return `2543|${req.callId}|${req.fromTag}|${req.cseq}|${req.getHeader("via")}|${method}`;
}

export class TransactionLayer implements Layer {
  readonly timers = new TimerSet();
  readonly config: TimerConfig;
  readonly send: Sender;
  #server = new Map<string, ServerTransaction>();
  #client = new Map<string, ClientTransaction>();

  constructor(config: Partial<TimerConfig>, send: Sender) {
    this.config = { ...DEFAULT_TIMERS, ...config };
    this.send = send;
  }

  get counts(): { server: number; client: number; timers: number } {
    return { server: this.#server.size, client: this.#client.size, timers: this.timers.size };
  }

  remove(key: string, tx: unknown): void {
    if (this.#server.get(key) === tx) this.#server.delete(key);
    if (this.#client.get(key) === tx) this.#client.delete(key);
  }

  findServer(req: SipRequest): ServerTransaction | undefined {
    return this.#server.get(serverKey(req));
  }

  /** The INVITE server transaction a CANCEL refers to (same branch and sent-by, §9.2). */
  findInviteForCancel(cancel: SipRequest): InviteServerTransaction | undefined {
    const key = serverKey(cancel).replace(/\|CANCEL$/, "|INVITE");
    const tx = this.#server.get(key);
    return tx instanceof InviteServerTransaction ? tx : undefined;
  }

  createServer(req: SipRequest, target: Peer): ServerTransaction {
    const key = serverKey(req);
    const tx = req.method === "INVITE"
      ? new InviteServerTransaction(this, key, req, target)
      : new NonInviteServerTransaction(this, key, req, target);
    this.#server.set(key, tx);
    return tx;
  }

  /** Sends a request in a new client transaction; the request's top Via must carry a fresh branch. */
  sendRequest(req: OutgoingMessage, target: Peer, user: ClientTransactionUser): ClientTransaction {
    const branch = /;\s*branch=([^;\s]+)/i.exec(req.header("Via") ?? "")?.[1];
    if (!branch) throw new Error("client request without a Via branch");
    const key = `${branch}|${req.method}`;
    const tx = req.method === "INVITE"
      ? new InviteClientTransaction(this, key, req, target, user)
      : new NonInviteClientTransaction(this, key, req, target, user);
    this.#client.set(key, tx);
    tx.start();
    return tx;
  }

  /** §17.1.3: a response matches by top-Via branch and CSeq method. */
  findClient(res: SipResponse): ClientTransaction | undefined {
    const method = res.parseHeader("cseq")?.method ?? res.method;
    return this.#client.get(`${res.viaBranch}|${method}`);
  }

  /** Ends every transaction now (endpoint shutdown). */
  terminateAll(): void {
    for (const tx of [...this.#server.values(), ...this.#client.values()]) tx.terminate();
    this.timers.clearAll();
  }
}

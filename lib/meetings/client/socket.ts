// The meeting socket from the browser's side: hello/welcome, reconnects by itself with backoff and
// lastId (so no meeting message is missed or applied twice), pings to notice dead connections, and
// resends the person's media state after every welcome. A waiting (lobby) admission gets `lobby`
// status messages instead of `welcome`. No UI here.

import { CLOSE } from "../../contracts/close_codes.ts";
import { frameMessages } from "../../contracts/socket_frames.ts";
// Types only: protocol.ts builds zod schemas at load time, which would pull zod into the bundle.
import type {
  ClientMessage,
  LobbyStatusMessage,
  MeetingMessage,
  ServerMessage,
  StateMessage,
  UserErrorCode,
  WelcomeMessage,
} from "../../contracts/meeting_socket.ts";

/** The server's close codes (lib/contracts/close_codes.ts: plain data, nothing else is bundled). */
export const CLOSE_CODES = CLOSE;

function isMeetingMessage(m: ServerMessage): m is MeetingMessage {
  return typeof (m as { id?: unknown }).id === "number";
}

export type SocketStatus = "connecting" | "open" | "reconnecting" | "closed";

export interface MeetingSocketEvents {
  /** Every welcome; `reconnected` is false for the first. */
  welcome(msg: WelcomeMessage, reconnected: boolean): void;
  /** A meeting message not seen before, in id order. */
  message(msg: MeetingMessage): void;
  status(status: SocketStatus): void;
  /** The meeting ended (message or close 4000): the socket stays closed. */
  ended(reason: string): void;
  /**
   * The server refused us for good (not admitted, protocol error, denied in the lobby, removed by a
   * host): the socket stays closed.
   */
  refused(code: number, reason: string): void;
  /** Closed for sending too fast (4429, with the server's reason); the socket reconnects by itself. */
  slowed?(reason: string): void;
  /** A `{type:"error"}` message: user errors are shown, internal ones only logged by the caller. */
  error(
    kind: "user" | "internal",
    message: string,
    detail?: { code?: UserErrorCode; action?: string; messageKey?: string },
  ): void;
  /** Lobby sockets: the waiting status (instead of welcome), and its changes. */
  lobby?(msg: LobbyStatusMessage): void;
  /** Lobby sockets: a host let us in (close 4001); reload the page to enter. */
  admitted?(): void;
  /** Every server message as received (test hook and debugging). */
  received?(msg: ServerMessage): void;
}

export interface MeetingSocketOptions {
  /** Makes the WebSocket (tests pass a fake). */
  connect?: (url: string) => WebSocketLike;
  /** Interval between pings; a socket silent for two intervals is considered dead. */
  pingMs?: number;
  random?: () => number;
}

/** The part of WebSocket this client uses. */
export interface WebSocketLike {
  readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: Event) => void) | null;
  onmessage: ((ev: MessageEvent) => void) | null;
  onclose: ((ev: CloseEvent) => void) | null;
  onerror: ((ev: Event) => void) | null;
}

const OPEN = 1;

/** Delay before reconnect attempt `attempt` (0-based): 0.5 s doubling to 10 s, ±20 % jitter. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(10_000, 500 * 2 ** Math.min(attempt, 10));
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** Close codes after which reconnecting cannot help. */
const TERMINAL = new Set<number>([
  CLOSE_CODES.notAdmitted,
  CLOSE_CODES.protocolError,
  CLOSE_CODES.denied,
  CLOSE_CODES.removed,
]);

export class MeetingSocket {
  #url: string;
  #events: MeetingSocketEvents;
  #connect: (url: string) => WebSocketLike;
  #pingMs: number;
  #random: () => number;
  #ws: WebSocketLike | null = null;
  #status: SocketStatus = "connecting";
  #attempt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #pingTimer: ReturnType<typeof setInterval> | undefined;
  #lastHeard = 0;
  #welcomed = false;
  #stopped = false;
  #state: Omit<StateMessage, "type"> | null = null;

  participantId: string | null = null;
  /** Id of the last meeting message applied. */
  lastId: number | null = null;

  constructor(url: string, events: MeetingSocketEvents, opts: MeetingSocketOptions = {}) {
    this.#url = url;
    this.#events = events;
    this.#connect = opts.connect ?? ((u) => new WebSocket(u) as unknown as WebSocketLike);
    this.#pingMs = opts.pingMs ?? 15_000;
    this.#random = opts.random ?? Math.random;
  }

  get status(): SocketStatus {
    return this.#status;
  }

  start() {
    this.#open();
  }

  /** Sends the media state now if open, and again after every later welcome. */
  sendState(state: Omit<StateMessage, "type">) {
    this.#state = state;
    if (this.#status === "open") this.#send({ type: "state", ...state });
  }

  /**
   * Sends a client message now if the socket is open (after welcome); answers whether it went out.
   * Nothing is queued: actions from a disconnected meeting are refused in the UI instead.
   */
  send(msg: Exclude<ClientMessage, { type: "hello" | "ping" | "state" }> | Record<string, unknown>): boolean {
    if (this.#status !== "open" || !this.#welcomed) return false;
    return this.#send(msg as Record<string, unknown>);
  }

  /** Closes for good (leaving). */
  close() {
    this.#stop("closed");
    try {
      this.#ws?.close(1000, "Leaving");
    } catch { /* already closed */ }
    this.#ws = null;
  }

  /** Drops the connection as a network failure would (tests); the client reconnects by itself. */
  drop() {
    const ws = this.#ws;
    if (!ws) return;
    this.#detach(ws);
    try {
      ws.close(4001, "dropped");
    } catch { /* already closed */ }
    this.#lost();
  }

  #open() {
    if (this.#stopped) return;
    this.#setStatus(this.#welcomed ? "reconnecting" : "connecting");
    let ws: WebSocketLike;
    try {
      ws = this.#connect(this.#url);
    } catch {
      this.#lost();
      return;
    }
    this.#ws = ws;
    ws.onopen = () => {
      const hello: Record<string, unknown> = { type: "hello" };
      if (this.participantId) hello.participantId = this.participantId;
      if (this.lastId !== null) hello.lastId = this.lastId;
      this.#lastHeard = Date.now();
      ws.send(JSON.stringify(hello));
      clearInterval(this.#pingTimer);
      this.#pingTimer = setInterval(() => this.#ping(), this.#pingMs);
    };
    ws.onmessage = (ev) => {
      this.#lastHeard = Date.now();
      let msgs: ServerMessage[];
      try {
        msgs = frameMessages(String(ev.data)) as ServerMessage[];
      } catch (err) {
        // The server only sends JSON: a frame that is not is a bug worth seeing, not a reason to leave.
        console.warn("[meeting socket] ignored a frame that is not JSON", String(err));
        return;
      }
      for (const msg of msgs) this.#receive(msg);
    };
    ws.onerror = () => {}; // a browser tells nothing more here; onclose follows and reconnects
    ws.onclose = (ev) => {
      this.#detach(ws);
      if (this.#stopped) return;
      if (ev.code === CLOSE_CODES.meetingEnded) {
        this.#stop("closed");
        this.#events.ended(ev.reason || "The host ended the meeting");
      } else if (ev.code === CLOSE_CODES.admitted) {
        this.#stop("closed");
        this.#events.admitted?.();
      } else if (ev.code === CLOSE.rateLimited) {
        // Sent too fast: say so, then reconnect after the usual backoff (the limit refills).
        this.#events.slowed?.(ev.reason || "You were sending messages too fast.");
        this.#lost();
      } else if (TERMINAL.has(ev.code)) {
        this.#stop("closed");
        this.#events.refused(ev.code, ev.reason);
      } else {
        this.#lost();
      }
    };
  }

  #receive(msg: ServerMessage) {
    this.#events.received?.(msg);
    if (msg.type === "lobby") {
      this.#attempt = 0;
      this.#events.lobby?.(msg);
      return;
    }
    if (msg.type === "welcome") {
      const reconnected = this.#welcomed;
      this.#welcomed = true;
      this.#attempt = 0;
      this.participantId = msg.participantId;
      this.lastId = msg.lastId;
      this.#setStatus("open");
      this.#events.welcome(msg, reconnected);
      if (this.#state) this.#send({ type: "state", ...this.#state });
      return;
    }
    if (msg.type === "pong") return;
    if (msg.type === "error") {
      this.#events.error(msg.kind, msg.message, { code: msg.code, action: msg.action, messageKey: msg.messageKey });
      return;
    }
    if (isMeetingMessage(msg)) {
      // Replays after a reconnect may repeat what we already applied.
      if (this.lastId !== null && msg.id <= this.lastId) return;
      this.lastId = msg.id;
      this.#events.message(msg);
      if (msg.type === "meeting-ended") {
        this.#stop("closed");
        this.#events.ended(msg.data.reason || "The host ended the meeting");
      }
    }
  }

  #ping() {
    const ws = this.#ws;
    if (!ws || ws.readyState !== OPEN) return;
    if (Date.now() - this.#lastHeard > 2 * this.#pingMs) {
      // Nothing heard for two intervals: the connection is dead even if the browser has not noticed.
      this.drop();
      return;
    }
    if (this.#status === "open") this.#send({ type: "ping" });
  }

  #lost() {
    if (this.#stopped) return;
    this.#ws = null;
    clearInterval(this.#pingTimer);
    this.#setStatus(this.#welcomed ? "reconnecting" : "connecting");
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => this.#open(), backoffDelay(this.#attempt++, this.#random));
  }

  #detach(ws: WebSocketLike) {
    ws.onopen =
      ws.onmessage =
      ws.onclose =
      ws.onerror =
        null;
  }

  #stop(status: SocketStatus) {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    clearInterval(this.#pingTimer);
    if (this.#ws) this.#detach(this.#ws);
    this.#setStatus(status);
  }

  #send(msg: Record<string, unknown>): boolean {
    const ws = this.#ws;
    if (!ws || ws.readyState !== OPEN) return false;
    ws.send(JSON.stringify(msg));
    return true;
  }

  #setStatus(status: SocketStatus) {
    if (this.#status === status) return;
    this.#status = status;
    this.#events.status(status);
  }
}

/** The ws:// or wss:// URL of a same-origin path. */
export function socketUrl(path: string, location: { protocol: string; host: string }): string {
  return `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}${path}`;
}

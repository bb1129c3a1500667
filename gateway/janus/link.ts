// The gateway's connection to Janus: an admin connection (core tokens), a Janus API connection
// with one session, and reconnection with backoff. Plugin modules (plugins/videoroom.ts, the SIP
// bridge) register as listeners and rebuild their handles and rooms on every (re)connect.

import Janode from "janode";
import { logger } from "../../lib/common/log.ts";
import { JANODE_CONNECTION_CLOSED, JANODE_CONNECTION_ERROR, type JanodeConnection, JanusAdmin } from "./admin.ts";
import { randomHex } from "../../lib/common/random.ts";
import { transitionTable } from "../../lib/common/state.ts";

const log = logger("janus-link");

/** The plugins the gateway's own token may use; participants get narrower tokens. */
const GATEWAY_PLUGINS = ["janus.plugin.videoroom", "janus.plugin.audiobridge"];

export interface JanodeHandle {
  id: number;
  message(body: Record<string, unknown>): Promise<Record<string, unknown>>;
  detach(): Promise<void>;
  once(event: string, listener: (arg: unknown) => void): void;
}

export interface JanodeSession {
  attach(plugin: unknown): Promise<JanodeHandle>;
  destroy(): Promise<void>;
  once(event: string, listener: (arg: unknown) => void): void;
}

/** What a plugin module gets on every (re)connect. */
export interface JanusContext {
  admin: JanusAdmin;
  session: JanodeSession;
}

export interface JanusListener {
  /** Rebuilds the module's handles and state on a fresh connection; a throw makes the link retry. */
  connected(ctx: JanusContext): Promise<void>;
  /** The connection is gone; everything from the last context is unusable. */
  disconnected(): void;
}

export type LinkState = "idle" | "connecting" | "connected" | "backoff" | "stopped";

const LINK_TRANSITIONS = transitionTable<LinkState>("janus link", {
  idle: ["connecting", "stopped"],
  connecting: ["connected", "backoff", "stopped"],
  connected: ["backoff", "stopped"],
  backoff: ["connecting", "stopped"],
  stopped: [],
});

export interface JanusLinkOptions {
  apiUrl: string;
  adminUrl: string;
  adminSecret: string;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export class JanusLink {
  #options: JanusLinkOptions;
  #listeners: JanusListener[] = [];
  #state: LinkState = "idle";
  #attempt = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #admin: JanusAdmin | null = null;
  #api: JanodeConnection | null = null;
  #session: JanodeSession | null = null;
  /** Bumped on every connect attempt so callbacks from an old connection are ignored. */
  #generation = 0;
  #waiters: (() => void)[] = [];

  constructor(options: JanusLinkOptions) {
    this.#options = options;
  }

  get state(): LinkState {
    return this.#state;
  }

  get connected(): boolean {
    return this.#state === "connected";
  }

  get admin(): JanusAdmin {
    if (!this.#admin || this.#state !== "connected") throw new JanusUnavailable();
    return this.#admin;
  }

  addListener(listener: JanusListener) {
    this.#listeners.push(listener);
  }

  #to(next: LinkState) {
    this.#state = LINK_TRANSITIONS.check(this.#state, next);
  }

  /** Starts connecting in the background; use `whenConnected` to wait. */
  start() {
    if (this.#state !== "idle") return;
    this.#connect();
  }

  /** Resolves at the next moment the link is connected (now, if it is). */
  whenConnected(): Promise<void> {
    if (this.connected) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  async #connect() {
    this.#to("connecting");
    const generation = ++this.#generation;
    try {
      const admin = await JanusAdmin.connect(this.#options.adminUrl, this.#options.adminSecret);
      this.#admin = admin;
      // token_auth covers the gateway too: a fresh token per connection, so a stale one from a
      // previous Janus run is never relied on.
      const token = randomHex(24);
      await admin.addToken(token, GATEWAY_PLUGINS);
      const api = await Janode.connect({
        address: { url: this.#options.apiUrl, token },
        max_retries: 0,
        retry_time_secs: 1,
      }) as unknown as JanodeConnection & { create(ka?: number): Promise<JanodeSession> };
      this.#api = api;
      const session = await api.create(15);
      this.#session = session;
      let dropped = false;
      const lost = () => {
        dropped = true;
        this.#lost(generation);
      };
      admin.onClose(lost);
      api.once(JANODE_CONNECTION_CLOSED, lost);
      api.once(JANODE_CONNECTION_ERROR, lost);
      session.once(Janode.EVENT.SESSION_DESTROYED, lost);
      for (const listener of this.#listeners) await listener.connected({ admin, session });
      // A drop during the restore is ignored by #lost (we are not connected yet): retry instead.
      if (dropped) throw new Error("connection dropped while restoring");
      if (generation !== this.#generation || this.#state !== "connecting") return;
      this.#to("connected");
      log.info("connected", { attempt: this.#attempt });
      this.#attempt = 0;
      for (const w of this.#waiters.splice(0)) w();
    } catch (err) {
      if (generation !== this.#generation || this.#state !== "connecting") return;
      log.warn("connect failed", { attempt: this.#attempt, error: (err as Error).message });
      await this.#teardown();
      this.#scheduleRetry();
    }
  }

  #lost(generation: number) {
    if (generation !== this.#generation || this.#state !== "connected") return;
    log.warn("connection lost, reconnecting");
    this.#to("backoff");
    for (const listener of this.#listeners) listener.disconnected();
    this.#teardown().then(() => this.#scheduleRetry(true));
  }

  #scheduleRetry(alreadyBackoff = false) {
    if (this.#state === "stopped") return;
    if (!alreadyBackoff) this.#to("backoff");
    const min = this.#options.minBackoffMs ?? 100;
    const max = this.#options.maxBackoffMs ?? 5000;
    // Exponential backoff with jitter, so several gateways do not hammer a restarting Janus together.
    const delay = Math.min(max, min * 2 ** this.#attempt) * (0.5 + Math.random() / 2);
    this.#attempt++;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#state === "backoff") this.#connect();
    }, delay);
  }

  async #teardown() {
    const session = this.#session, api = this.#api, admin = this.#admin;
    this.#session = this.#api = this.#admin = null;
    // Leave, then detach, then forget: destroying the session detaches every handle in it. On a dropped
    // connection both fail, and that is fine: Janus destroys a session whose transport went away
    // (reclaim_session_timeout is unset in our janus.jcfg).
    await session?.destroy().catch((err) => log.info("session not destroyed", { error: String(err) }));
    await api?.close().catch((err) => log.info("API connection not closed cleanly", { error: String(err) }));
    await admin?.close();
  }

  async stop() {
    if (this.#state === "stopped") return;
    const wasConnected = this.#state === "connected";
    this.#generation++;
    this.#to("stopped");
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (wasConnected) { for (const listener of this.#listeners) listener.disconnected(); }
    await this.#teardown();
  }
}

/** Janus is not connected right now; the HTTP API answers 503. */
export class JanusUnavailable extends Error {
  constructor() {
    super("Janus is not connected");
    this.name = "JanusUnavailable";
  }
}

// Meeting-socket test support against real web processes: a WebSocket peer whose received
// messages a test can wait on (bounded, no sleeps), and signed-in or guest HTTP clients.

import type { Store } from "../../lib/common/store.ts";
import { frameMessages } from "../../lib/contracts/socket_frames.ts";
import { TestClient } from "./app.ts";
import type { RunningServer } from "./server.ts";
import { createUser } from "../../lib/accounts/users.ts";
import { createSession } from "../../lib/accounts/sessions.ts";
import { createMeeting } from "../../lib/meetings/store.ts";

/** Deno's WebSocket takes request headers (the admission cookie) as a constructor option. */
const DenoWebSocket = WebSocket as unknown as new (url: string, options?: { headers?: HeadersInit }) => WebSocket;

// deno-lint-ignore no-explicit-any -- test messages are inspected loosely
export type Msg = Record<string, any>;

/** A real WebSocket with a message queue the test can wait on (bounded waits, no sleeps). */
export class Peer {
  readonly got: Msg[] = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
  #ws: WebSocket;
  #waiters: (() => void)[] = [];

  /** Without `cookie` the socket has no admission (to test refusals). */
  constructor(url: string, cookie?: string) {
    this.#ws = new DenoWebSocket(url, cookie ? { headers: { cookie } } : undefined);
    this.opened = new Promise((resolve, reject) => {
      this.#ws.addEventListener("open", () => resolve());
      this.#ws.addEventListener("error", () => reject(new Error("socket failed to open")));
    });
    this.opened.catch(() => {});
    this.closed = new Promise((resolve) => {
      this.#ws.addEventListener("close", (e) => {
        resolve({ code: e.code, reason: e.reason });
        this.#wake();
      });
    });
    this.#ws.addEventListener("message", (e) => {
      this.got.push(...frameMessages(String(e.data)) as Msg[]);
      this.#wake();
    });
  }

  #wake() {
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Sends `msg` as JSON; a string goes as it is (malformed input tests). */
  send(msg: unknown) {
    this.#ws.send(typeof msg === "string" ? msg : JSON.stringify(msg));
  }

  close() {
    this.#ws.close();
  }

  /** Waits until a received message (from index `from`) matches; fails with what did arrive after the timeout. */
  async waitFor(what: string, match: (m: Msg) => boolean, from = 0, timeoutMs = 10_000): Promise<Msg> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.got.slice(from).find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no ${what}; got ${JSON.stringify(this.got)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now() + 1);
        this.#waiters.push(() => (clearTimeout(timer), resolve()));
      });
    }
  }

  /** Waits until at least `n` messages arrived after index `from`. */
  async waitCount(n: number, from: number): Promise<Msg[]> {
    await this.waitFor(`${n} messages`, () => this.got.length - from >= n, from);
    return this.got.slice(from);
  }

  lastId(): number {
    return Math.max(0, ...this.got.map((m) => (typeof m.id === "number" ? m.id : 0)));
  }
}

export function cookieHeader(client: TestClient): string {
  return [...client.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
}

export function httpClient(server: RunningServer): TestClient {
  return new TestClient({ request: (url, init) => fetch(url, init) }, server.url);
}

/** Opens a socket for a client's admission and says hello; resolves with the socket and its first answer. */
export async function connect(server: RunningServer, meetingId: string, client: TestClient, hello: object = {}) {
  const peer = new Peer(`${server.url.replace(/^http/, "ws")}/meetings/${meetingId}/ws`, cookieHeader(client));
  await peer.opened;
  peer.send({ type: "hello", ...hello });
  const first = await peer.waitFor("welcome or lobby", (m) => m.type === "welcome" || m.type === "lobby");
  return { peer, first };
}

/** A signed-in browser: a user with a full session cookie. */
export async function signedIn(
  kv: Store,
  server: RunningServer,
  name: string,
): Promise<{ client: TestClient; userId: string }> {
  const user = await createUser(kv, { name, email: `${name.toLowerCase()}@example.org`, passwordHash: "unused" });
  const client = httpClient(server);
  client.cookies.set("ts_session", (await createSession(kv, user.id, "full")).token);
  return { client, userId: user.id };
}

/**
 * Hanna hosts a meeting without a lobby (titled `title`) and has opened its page; Bea, signed in
 * too, has joined with the passcode. The set-up several socket tests share.
 */
export async function hostAndMember(kv: Store, server: RunningServer, title: string) {
  const host = await signedIn(kv, server, "Hanna");
  const meeting = await createMeeting(kv, { hostId: host.userId, title, settings: { lobby: false } });
  const id = meeting.meetingId;
  if (await status(await host.client.get(`/m/${id}`)) !== 303) throw new Error("the host could not open the meeting");
  const bea = await signedIn(kv, server, "Bea");
  const joined = await status(await bea.client.postForm(`/m/${id}/join`, { passcode: meeting.passcode }));
  if (joined !== 303) throw new Error(`Bea could not join with the passcode (${joined})`);
  return { host, bea, meeting, id };
}

export async function status(res: Response): Promise<number> {
  await res.body?.cancel();
  return res.status;
}

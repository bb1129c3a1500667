// Test support for the meeting hub: a socket transport that records what the hub sends and lets a
// test wait for it (bounded waits, woken by each message; no fixed sleeps).

import type { SocketTransport } from "./hub.ts";
import { frameMessages } from "../contracts/socket_frames.ts";

/** Records sent messages and the close; `until`/`message` wait for what a test expects. */
export class FakeSocket implements SocketTransport {
  sent: Record<string, unknown>[] = [];
  /** The frames as sent (one may carry several messages). */
  frames: string[] = [];
  closedWith: { code: number; reason: string } | null = null;
  #waiters: (() => void)[] = [];
  send(text: string) {
    this.frames.push(text);
    this.sent.push(...frameMessages(text) as Record<string, unknown>[]);
    this.#wake();
  }
  close(code: number, reason: string) {
    this.closedWith = { code, reason };
    this.#wake();
  }
  #wake() {
    for (const w of this.#waiters.splice(0)) w();
  }
  async until<T>(
    what: string,
    probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  ): Promise<T> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const v = await probe();
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(this.sent)}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 50);
        this.#waiters.push(() => (clearTimeout(t), r()));
      });
    }
  }
  message(type: string, from = 0) {
    return this.until(type, () => this.sent.slice(from).find((m) => m.type === type));
  }
}

// Fan-out of meeting messages to the sockets this web instance holds. Every instance watches the
// meeting's head key in KV and reads what is new, so instances sharing one KV serve one meeting
// (no instance-to-instance connection needed; works the same on Deno Deploy).
// Deno KV's sqlite backend only wakes watchers for writes made by the same process, so when several
// processes share one KV file the feed also re-reads the head on a short interval (`pollMs`).

import type { Store } from "../common/store.ts";
import { eventsSince, headId, watchHead } from "./events.ts";
import type { MeetingEvent } from "./events.ts";
import { logger } from "../common/log.ts";

const log = logger("feed");

type Listener = (event: MeetingEvent) => void;

export interface FeedOptions {
  /** Also check for new messages this often (ms); needed when other processes share a sqlite KV file. */
  pollMs?: number;
}

/** True when KV is a local sqlite file another process may share (Deploy and KV Connect wake watchers). */
export function kvNeedsPolling(kvPath: string): boolean {
  return kvPath !== "" && kvPath !== ":memory:" && !/^https?:\/\//.test(kvPath);
}

interface Watched {
  listeners: Set<Listener>;
  delivered: number;
  stop: () => void;
}

/** Per-process registry of meeting watchers; one KV watch per meeting with local listeners. */
export class MeetingFeed {
  #meetings = new Map<string, Watched>();

  constructor(private kv: Store, private options: FeedOptions = {}) {}

  /**
   * Calls `listener` for every message of the meeting committed after `afterId`, in order, exactly
   * once each, until the returned function is called.
   */
  async subscribe(meetingId: string, afterId: number, listener: Listener): Promise<() => void> {
    let w = this.#meetings.get(meetingId);
    if (!w) {
      w = await this.#watch(meetingId);
    }
    // Catch this listener up from its own position to the shared position; the final check and
    // the add below run without an await between them, so nothing delivered meanwhile is missed.
    let pos = afterId;
    while (pos < w.delivered) {
      const backlog = await eventsSince(this.kv, meetingId, pos, 1000);
      if (backlog.length === 0) break; // expired history: nothing left to replay
      for (const e of backlog) {
        if (e.id > w.delivered) break;
        listener(e);
        pos = e.id;
      }
    }
    // A listener may start ahead of this process's feed (it read the head itself, e.g. for a
    // welcome snapshot): what it already covers is not delivered again.
    const live: Listener = (e) => {
      if (e.id <= pos) return;
      pos = e.id;
      listener(e);
    };
    w.listeners.add(live);
    const watched = w;
    return () => {
      watched.listeners.delete(live);
      if (watched.listeners.size === 0 && this.#meetings.get(meetingId) === watched) {
        watched.stop();
        this.#meetings.delete(meetingId);
      }
    };
  }

  async #watch(meetingId: string): Promise<Watched> {
    const w: Watched = { listeners: new Set(), delivered: await headId(this.kv, meetingId), stop: () => {} };
    this.#meetings.set(meetingId, w);
    const stream = watchHead(this.kv, meetingId);
    const reader = stream.getReader();
    let stopped = false;
    // Both wake-ups run the same drain; it delivers each id once whichever comes first.
    const poll = this.options.pollMs
      ? setInterval(() => this.#drain(meetingId, w).catch(() => {}), this.options.pollMs)
      : undefined;
    w.stop = () => {
      stopped = true;
      clearInterval(poll);
      reader.cancel().catch(() => {});
    };
    (async () => {
      try {
        while (!stopped) {
          const { done } = await reader.read();
          if (done || stopped) break;
          await this.#drain(meetingId, w);
        }
      } catch (err) {
        if (!stopped) log.error("watch failed", { meetingId, error: String(err) });
      }
    })();
    return w;
  }

  async #drain(meetingId: string, w: Watched) {
    for (;;) {
      const batch = await eventsSince(this.kv, meetingId, w.delivered, 500);
      if (batch.length === 0) return;
      for (const e of batch) {
        if (e.id !== w.delivered + 1) break; // a gap means a commit is still landing; the next watch tick fills it
        w.delivered = e.id;
        for (const l of w.listeners) {
          try {
            l(e);
          } catch (err) {
            log.error("listener threw", { meetingId, error: String(err) });
          }
        }
      }
      if (batch.length < 500) return;
    }
  }

  /** Stops every watch (server shutdown, tests). */
  close() {
    for (const w of this.#meetings.values()) w.stop();
    this.#meetings.clear();
  }
}

// The room registry both Janus room plugins (VideoRoom, AudioBridge) keep: one room per meeting, each
// an explicit state machine, operations on one meeting queued one at a time, rooms marked lost when
// Janus goes away and re-created from the registry on the next connect. What a room holds besides its
// number and secret (tokens, participants' handles, forwarders) is the plugin module's business.

import type { Logger } from "../../lib/common/log.ts";
import { JanusUnavailable } from "../janus/link.ts";
import { JanusRequestFailed, KeyedQueue } from "./request.ts";
import { transitionTable } from "../../lib/common/state.ts";
import { randomHex } from "../../lib/common/random.ts";

/** A room's life: "lost" means Janus went away and the room must be re-created from the registry. */
export type RoomState = "creating" | "live" | "lost" | "recreating" | "destroying" | "destroyed";

const ROOM_TRANSITIONS = transitionTable<RoomState>("room", {
  creating: ["live", "destroyed"],
  live: ["lost", "destroying"],
  lost: ["recreating", "destroying"],
  recreating: ["live", "lost"],
  // Back to where it was when Janus refused or went away mid-destroy, so a retry can finish it.
  destroying: ["destroyed", "live", "lost"],
  destroyed: [],
});

/** Errors the HTTP API shows to the web app with their status. */
export class RoomProblem extends Error {
  constructor(readonly status: 400 | 404 | 409, message: string) {
    super(message);
    this.name = "RoomProblem";
  }
}

/** The Janus room number for a meeting: meeting IDs are 10 digits, well inside Janus's uint64. */
export function roomIdFor(meetingId: string): number {
  if (!/^\d{10}$/.test(meetingId)) throw new RoomProblem(400, "meetingId must be 10 digits");
  return Number(meetingId);
}

/** One meeting's room; each plugin module extends it with what it must re-create after a restart. */
export abstract class RegisteredRoom<P> {
  state: RoomState = "creating";
  readonly participants = new Map<string, P>();
  /** Names the room in logs and transition errors ("room", "bridge room"). */
  abstract readonly kind: string;

  /** Random, and only in this process's memory: needed for every request that changes the room. */
  readonly secret = randomHex(24);

  constructor(readonly meetingId: string, readonly roomId: number) {}

  /** The fields of the "created" log line besides the meeting id. */
  abstract summary(): Record<string, unknown>;

  to(next: RoomState) {
    this.state = ROOM_TRANSITIONS.check(this.state, next, `${this.kind} ${this.meetingId}`);
  }
}

/** What the registry needs from its plugin module. */
export interface RoomPlugin<R> {
  /**
   * The plugin's own part of a room's create request (the admin key, description, allowed list,
   * codecs…); the registry adds the room number, the secret, and that the room is private and not
   * permanent.
   */
  settings(room: R): Record<string, unknown>;
  /** The plugin's error codes for an unknown room and a room number already taken. */
  errors: { noSuchRoom: number; roomExists: number };
  /** Message of the 404 for a meeting without a room. */
  missing: string;
  /** Message of the 409 when Janus has a room with the meeting's number that this gateway did not create. */
  foreign: string;
  /** One synchronous request on the plugin's manager handle (JanusUnavailable without one). */
  request(request: string, body: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Whether the manager handle is attached, i.e. Janus is connected. */
  attached(): boolean;
  log: Logger;
}

export class RoomRegistry<R extends RegisteredRoom<unknown>> {
  #rooms = new Map<string, R>();
  /** Operations on one meeting run one at a time, so concurrent PUTs or POSTs cannot interleave. */
  #queue = new KeyedQueue();
  #plugin: RoomPlugin<R>;

  constructor(plugin: RoomPlugin<R>) {
    this.#plugin = plugin;
  }

  get size(): number {
    return this.#rooms.size;
  }

  get(meetingId: string): R | undefined {
    return this.#rooms.get(meetingId);
  }

  /** State of a meeting's room, for tests and diagnostics. */
  state(meetingId: string): RoomState | null {
    return this.#rooms.get(meetingId)?.state ?? null;
  }

  rooms(): IterableIterator<R> {
    return this.#rooms.values();
  }

  /** Runs `fn` after every earlier operation on the meeting has finished. */
  run<T>(meetingId: string, fn: () => Promise<T>): Promise<T> {
    return this.#queue.run(meetingId, fn);
  }

  /** The meeting's room when it is live: 404 without one, JanusUnavailable while Janus is away. */
  live(meetingId: string): R {
    roomIdFor(meetingId);
    const room = this.#rooms.get(meetingId);
    if (!room) throw new RoomProblem(404, this.#plugin.missing);
    if (room.state !== "live") throw new JanusUnavailable();
    return room;
  }

  /**
   * Idempotent: a live room for the meeting exists afterwards (the first call's room sticks). A room
   * number Janus already has is refused with 409: left over from an earlier gateway run against an
   * external Janus, its secret is lost.
   */
  ensure(meetingId: string, build: (roomId: number) => R): Promise<{ room: number; created: boolean }> {
    const roomId = roomIdFor(meetingId);
    return this.#queue.run(meetingId, async () => {
      const existing = this.#rooms.get(meetingId);
      if (existing) {
        if (existing.state !== "live") throw new JanusUnavailable();
        return { room: existing.roomId, created: false };
      }
      if (!this.#plugin.attached()) throw new JanusUnavailable();
      const room = build(roomId);
      this.#rooms.set(meetingId, room);
      try {
        await this.#plugin.request("create", this.#createBody(room));
      } catch (err) {
        room.to("destroyed");
        this.#rooms.delete(meetingId);
        if (err instanceof JanusRequestFailed && err.code === this.#plugin.errors.roomExists) {
          throw new RoomProblem(409, this.#plugin.foreign);
        }
        throw err;
      }
      room.to("live");
      this.#plugin.log.info(`${room.kind} created`, { meetingId, ...room.summary() });
      return { room: roomId, created: true };
    });
  }

  /** The create request of a room: what every room of ours has, then the plugin's own settings. */
  #createBody(room: R): Record<string, unknown> {
    return {
      room: room.roomId,
      secret: room.secret,
      is_private: true,
      permanent: false,
      ...this.#plugin.settings(room),
    };
  }

  /**
   * Creates a lost room again (with its settings as they are now); true when Janus had lost it (it
   * restarted), false when only the connection dropped and Janus still has the room.
   */
  async createAgain(room: R): Promise<boolean> {
    try {
      await this.#plugin.request("create", this.#createBody(room));
      return true;
    } catch (err) {
      if (!(err instanceof JanusRequestFailed && err.code === this.#plugin.errors.roomExists)) throw err;
      return false;
    }
  }

  /**
   * Idempotent: the room is destroyed in Janus and forgotten. `revoke` runs after Janus destroyed a
   * live room and may fail (the entry is kept so a retry can finish the job); `release` runs last.
   */
  destroy(
    meetingId: string,
    steps: { revoke?: (room: R) => Promise<void>; release?: (room: R) => Promise<void> } = {},
  ): Promise<{ destroyed: boolean }> {
    return this.#queue.run(meetingId, async () => {
      const room = this.#rooms.get(meetingId);
      if (!room) return { destroyed: false };
      const wasLive = room.state === "live";
      room.to("destroying");
      try {
        if (wasLive) {
          try {
            await this.#plugin.request("destroy", { room: room.roomId, secret: room.secret, permanent: false });
          } catch (err) {
            if (!(err instanceof JanusRequestFailed && err.code === this.#plugin.errors.noSuchRoom)) throw err;
          }
          await steps.revoke?.(room);
        }
      } catch (err) {
        // Keep the registry entry so a retry can finish the job.
        room.to(wasLive && this.#plugin.attached() ? "live" : "lost");
        throw err;
      }
      await steps.release?.(room);
      room.to("destroyed");
      this.#rooms.delete(meetingId);
      this.#plugin.log.info(`${room.kind} destroyed`, { meetingId, participants: room.participants.size });
      return { destroyed: true };
    });
  }

  /** After a (re)connect: re-creates every lost room, each in its meeting's queue; answers how many. */
  async restore(recreate: (room: R) => Promise<void>): Promise<number> {
    let restored = 0;
    for (const room of [...this.#rooms.values()]) {
      await this.#queue.run(room.meetingId, async () => {
        if (room.state !== "lost") return;
        room.to("recreating");
        await recreate(room);
        room.to("live");
        restored++;
      });
    }
    return restored;
  }

  /** Janus went away: live rooms (and ones being re-created) are lost until the next connect. */
  markLost(): void {
    for (const room of this.#rooms.values()) {
      if (room.state === "live" || room.state === "recreating") room.to("lost");
    }
  }
}

// AudioBridge manager: the per-meeting SIP bridge rooms (groups "web" and "sip"), created with the
// admin key, a random room secret and an allowed list that only the gateway's own joins are on;
// plain-RTP participants (one Janus handle each), host mute, and group mix forwarders. The room
// registry (room_registry.ts) is the source of truth: after a Janus restart rooms, participants and
// forwarders are re-created from it and each participant is told Janus's new RTP address.

import AudioBridgePlugin from "janode/plugins/audiobridge";
import { logger } from "../../lib/common/log.ts";
import {
  type JanodeHandle,
  type JanodeSession,
  type JanusContext,
  type JanusListener,
  JanusUnavailable,
} from "../janus/link.ts";
import { JanusRequestFailed, pluginRequest } from "./request.ts";
import { RegisteredRoom, RoomProblem, RoomRegistry, type RoomState } from "./room_registry.ts";
import { randomHex } from "../../lib/common/random.ts";

const log = logger("audiobridge");

export const AUDIOBRIDGE_PLUGIN = "janus.plugin.audiobridge";

// AudioBridge error codes we act on (janus_audiobridge.c).
const ERR_NO_SUCH_ROOM = 485;
const ERR_ROOM_EXISTS = 486;
const ERR_NO_SUCH_USER = 488;

export const BRIDGE_GROUPS = ["web", "sip"] as const;
export type BridgeGroup = typeof BRIDGE_GROUPS[number];
export type BridgeCodec = "pcmu" | "pcma" | "opus";

/** Same life as a VideoRoom room (the room registry's states). */
export type BridgeRoomState = RoomState;

export interface BridgeRoomOptions {
  /** Mixer rate: 16000 (wideband, cheaper) or 48000 (full-band Opus from browsers). */
  samplingRate?: 16000 | 48000;
  description?: string;
}

export interface RtpEndpoint {
  host: string;
  port: number;
}

export interface PlainRtpJoin {
  /** The caller's or web publisher's key in this bridge (call id, `web:<feedId>`). */
  key: string;
  display: string;
  group: BridgeGroup;
  codec: BridgeCodec;
  /** Where Janus sends this participant's mix (the relay's Janus-side socket); null = receive only. */
  target: RtpEndpoint | null;
  /** Payload type Janus uses toward `target` (and expects from us). */
  payloadType: number;
  muted?: boolean;
  /** Called with Janus's new address after a Janus restart re-joined the participant. */
  onRejoined?: (janus: RtpEndpoint & { payloadType: number }) => void;
}

/**
 * Recording of a meeting's phone callers (group "sip"), one .mjr per caller (AudioBridge `record` +
 * `filename`, the mixer not involved). Browsers' audio also enters the bridge (group "web") but is
 * recorded by the VideoRoom, so it is never recorded here: counting it twice would double it.
 */
export interface CallerRecording {
  /** Absolute base path of a caller's file; Janus adds "-audio.mjr". A new one per join. */
  fileBase(key: string, display: string): string;
  /** Janus opened a caller's recorder (at join, at recording start, or on a re-join after a Janus restart). */
  started(key: string, display: string, file: string): void;
  /** The caller left the bridge or recording stopped: their file is closed. */
  ended(key: string): void;
}

export interface JoinedParticipant {
  feedId: number;
  /** Where to send this participant's audio. */
  janus: RtpEndpoint & { payloadType: number };
}

export interface GroupForward {
  group: BridgeGroup;
  host: string;
  port: number;
  codec: BridgeCodec;
  payloadType: number;
  ssrc: number;
  /** Keep sending (silence) when nobody talks, so the receiver never times the stream out. */
  alwaysOn?: boolean;
}

interface Participant {
  join: PlainRtpJoin;
  handle: JanodeHandle | null;
  feedId: number;
  muted: boolean;
  janus: RtpEndpoint & { payloadType: number };
}

class BridgeRoom extends RegisteredRoom<Participant> {
  readonly kind = "bridge room";
  /** Our id for each forwarder → its spec and Janus's current stream id. */
  readonly forwards = new Map<number, { spec: GroupForward; streamId: number }>();
  nextForwardId = 1;

  /** The only entry on the room's allowed list: nobody without it can join the bridge. */
  readonly joinToken = randomHex(24);
  readonly samplingRate: number;
  readonly description: string;

  constructor(meetingId: string, roomId: number, options: BridgeRoomOptions) {
    super(meetingId, roomId);
    this.samplingRate = options.samplingRate ?? 16000;
    this.description = options.description ?? `SIP bridge ${meetingId}`;
  }

  summary() {
    return { samplingRate: this.samplingRate };
  }
}

export class AudioBridgeManager implements JanusListener {
  #handle: JanodeHandle | null = null;
  #session: JanodeSession | null = null;
  #adminKey: string;
  #rooms = new RoomRegistry<BridgeRoom>({
    settings: (room) => this.#settings(room),
    errors: { noSuchRoom: ERR_NO_SUCH_ROOM, roomExists: ERR_ROOM_EXISTS },
    missing: "no bridge for this meeting",
    foreign: "an AudioBridge room with this number exists but is not managed by this gateway",
    request: (request, body) => this.#request(request, body),
    attached: () => this.#handle !== null,
    log,
  });

  /** Meetings whose callers are being recorded (kept while no bridge exists: the next caller starts one). */
  #recordings = new Map<string, CallerRecording>();

  constructor(adminKey: string) {
    this.#adminKey = adminKey;
  }

  roomState(meetingId: string): BridgeRoomState | null {
    return this.#rooms.state(meetingId);
  }

  // --- connection lifecycle ---------------------------------------------------------------------

  async connected(ctx: JanusContext): Promise<void> {
    this.#session = ctx.session;
    this.#handle = await ctx.session.attach(AudioBridgePlugin) as JanodeHandle;
    try {
      await this.#rooms.restore((room) => this.#recreate(room));
    } catch (err) {
      this.disconnected();
      throw err;
    }
    log.info("manager handle ready", { handle: this.#handle.id, rooms: this.#rooms.size });
  }

  disconnected(): void {
    this.#handle = null;
    this.#session = null;
    for (const room of this.#rooms.rooms()) {
      for (const p of room.participants.values()) p.handle = null;
    }
    this.#rooms.markLost();
  }

  async #recreate(room: BridgeRoom) {
    // Whether Janus still had the room or not, its participants' handles are gone: re-join them all.
    await this.#rooms.createAgain(room);
    for (const p of room.participants.values()) {
      const joined = await this.#joinHandle(room, p.join, p.muted);
      p.handle = joined.handle;
      p.feedId = joined.feedId;
      p.janus = joined.janus;
      p.join.onRejoined?.(joined.janus);
    }
    for (const f of room.forwards.values()) f.streamId = await this.#startForward(room, f.spec);
    log.info("bridge re-created", { meetingId: room.meetingId, participants: room.participants.size });
  }

  /** The room's create request besides what the registry adds (number, secret, private, not permanent). */
  #settings(room: BridgeRoom): Record<string, unknown> {
    return {
      admin_key: this.#adminKey,
      description: room.description,
      allowed: [room.joinToken],
      sampling_rate: room.samplingRate,
      allow_rtp_participants: true,
      groups: [...BRIDGE_GROUPS],
      // Talking events only come from the RFC 6464 extension, which plain-RTP legs do not send;
      // the relay measures callers itself. Browsers' talking state comes from the VideoRoom.
      audiolevel_event: false,
      record: false,
    };
  }

  // --- operations ---------------------------------------------------------------------------------

  /** Idempotent: a live bridge room for the meeting exists afterwards (first call's options stick). */
  ensureRoom(meetingId: string, options: BridgeRoomOptions = {}): Promise<{ room: number; created: boolean }> {
    return this.#rooms.ensure(meetingId, (roomId) => new BridgeRoom(meetingId, roomId, options));
  }

  /** Idempotent: the room is gone afterwards (every participant's handle detached). */
  destroyRoom(meetingId: string): Promise<{ destroyed: boolean }> {
    return this.#rooms.destroy(meetingId, {
      release: async (room) => {
        for (const [key, p] of room.participants) await this.#detach(p.handle, { meetingId, key });
      },
    });
  }

  /** Joins a plain-RTP participant on its own handle; answers where to send its audio. */
  joinPlainRtp(meetingId: string, join: PlainRtpJoin): Promise<JoinedParticipant> {
    return this.#rooms.run(meetingId, async () => {
      const room = this.#rooms.live(meetingId);
      if (room.participants.has(join.key)) throw new RoomProblem(409, `${join.key} is already in the bridge`);
      const joined = await this.#joinHandle(room, join, join.muted ?? false);
      room.participants.set(join.key, {
        join,
        handle: joined.handle,
        feedId: joined.feedId,
        muted: join.muted ?? false,
        janus: joined.janus,
      });
      log.info("bridge participant joined", { meetingId, key: join.key, group: join.group, feedId: joined.feedId });
      return { feedId: joined.feedId, janus: joined.janus };
    });
  }

  async #joinHandle(room: BridgeRoom, join: PlainRtpJoin, muted: boolean) {
    const session = this.#session;
    if (!session) throw new JanusUnavailable();
    const handle = await session.attach(AudioBridgePlugin) as JanodeHandle;
    try {
      const rtp: Record<string, unknown> = { payload_type: join.payloadType };
      if (join.target) {
        rtp.ip = join.target.host;
        rtp.port = join.target.port;
      }
      const recording = join.group === "sip" ? this.#recordings.get(room.meetingId) : undefined;
      const base = recording?.fileBase(join.key, join.display);
      const data = await this.#request("join", {
        room: room.roomId,
        token: room.joinToken,
        display: join.display,
        group: join.group,
        codec: join.codec,
        muted,
        rtp,
        ...(base ? { record: true, filename: base } : {}),
      }, handle);
      const info = data.rtp as { ip?: string; port?: number; payload_type?: number } | undefined;
      if (typeof data.id !== "number" || !info?.ip || !info.port) {
        throw new JanusRequestFailed("join", null, "no plain-RTP address in the answer");
      }
      if (base) recording!.started(join.key, join.display, `${base}-audio.mjr`);
      return {
        handle,
        feedId: data.id,
        janus: { host: info.ip, port: info.port, payloadType: info.payload_type ?? join.payloadType },
      };
    } catch (err) {
      await this.#detach(handle, { meetingId: room.meetingId, key: join.key });
      throw err;
    }
  }

  /** Idempotent: the participant is out of the bridge and its handle detached. */
  leave(meetingId: string, key: string): Promise<{ left: boolean }> {
    return this.#rooms.run(meetingId, async () => {
      const room = this.#rooms.get(meetingId);
      const p = room?.participants.get(key);
      if (!room || !p) return { left: false };
      if (room.state === "live" && p.handle) {
        try {
          await this.#request("leave", {}, p.handle);
        } catch (err) {
          if (!(err instanceof JanusRequestFailed)) throw err;
        }
        await this.#detach(p.handle, { meetingId, key });
      }
      room.participants.delete(key);
      if (p.join.group === "sip") this.#recordings.get(meetingId)?.ended(key);
      log.info("bridge participant left", { meetingId, key });
      return { left: true };
    });
  }

  /** Host mute/unmute of a participant: their audio leaves every mix (they still hear the others). */
  setMuted(meetingId: string, key: string, muted: boolean): Promise<void> {
    return this.#rooms.run(meetingId, async () => {
      const room = this.#rooms.live(meetingId);
      const p = room.participants.get(key);
      if (!p) throw new RoomProblem(404, "no such participant in the bridge");
      try {
        await this.#request(muted ? "mute" : "unmute", { room: room.roomId, secret: room.secret, id: p.feedId });
      } catch (err) {
        if (err instanceof JanusRequestFailed && err.code === ERR_NO_SUCH_USER) {
          throw new RoomProblem(409, "the participant is not in the bridge");
        }
        throw err;
      }
      p.muted = muted;
      log.info("bridge participant muted", { meetingId, key, muted });
    });
  }

  /**
   * Starts (or with null stops) recording the meeting's phone callers: those in the bridge now get
   * `configure {record}` on their handle, later ones are recorded from their join on. Idempotent.
   */
  recordCallers(meetingId: string, recording: CallerRecording | null): Promise<void> {
    return this.#rooms.run(meetingId, async () => {
      const previous = this.#recordings.get(meetingId);
      if (recording) this.#recordings.set(meetingId, recording);
      else this.#recordings.delete(meetingId);
      const room = this.#rooms.get(meetingId);
      if (!room || room.state !== "live") return;
      for (const [key, p] of room.participants) {
        if (p.join.group !== "sip" || !p.handle) continue;
        if (recording) {
          const base = recording.fileBase(key, p.join.display);
          await this.#request("configure", { record: true, filename: base }, p.handle);
          recording.started(key, p.join.display, `${base}-audio.mjr`);
        } else if (previous) {
          await this.#request("configure", { record: false }, p.handle);
          previous.ended(key);
        }
      }
      log.info(recording ? "recording callers" : "stopped recording callers", { meetingId });
    });
  }

  /** Forwards a group's mix as RTP to host:port; answers our forwarder id (stable across restarts). */
  forwardGroup(meetingId: string, spec: GroupForward): Promise<{ forwardId: number }> {
    return this.#rooms.run(meetingId, async () => {
      const room = this.#rooms.live(meetingId);
      const streamId = await this.#startForward(room, spec);
      const forwardId = room.nextForwardId++;
      room.forwards.set(forwardId, { spec, streamId });
      log.info("bridge group forwarded", { meetingId, group: spec.group, port: spec.port });
      return { forwardId };
    });
  }

  stopForward(meetingId: string, forwardId: number): Promise<{ stopped: boolean }> {
    return this.#rooms.run(meetingId, async () => {
      const room = this.#rooms.get(meetingId);
      const f = room?.forwards.get(forwardId);
      if (!room || !f) return { stopped: false };
      if (room.state === "live") {
        await this.#request("stop_rtp_forward", {
          room: room.roomId,
          secret: room.secret,
          admin_key: this.#adminKey,
          stream_id: f.streamId,
        });
      }
      room.forwards.delete(forwardId);
      return { stopped: true };
    });
  }

  async #startForward(room: BridgeRoom, spec: GroupForward): Promise<number> {
    const data = await this.#request("rtp_forward", {
      room: room.roomId,
      secret: room.secret,
      // lock_rtp_forward: forwarding needs the admin key as well as the room secret.
      admin_key: this.#adminKey,
      group: spec.group,
      host: spec.host,
      port: spec.port,
      codec: spec.codec,
      ptype: spec.payloadType,
      ssrc: spec.ssrc,
      always_on: spec.alwaysOn ?? false,
    });
    const streamId = data.stream_id;
    if (typeof streamId !== "number") throw new JanusRequestFailed("rtp_forward", null, "no stream_id in the answer");
    return streamId;
  }

  /** Participants as Janus sees them (feed id, group, muted). */
  listParticipants(meetingId: string): Promise<{ feedId: number; display: string; muted: boolean }[]> {
    return this.#rooms.run(meetingId, async () => {
      const room = this.#rooms.live(meetingId);
      const data = await this.#request("listparticipants", { room: room.roomId, secret: room.secret });
      const list = (data.participants ?? []) as { id: number; display?: string; muted: boolean }[];
      return list.map((p) => ({ feedId: p.id, display: p.display ?? "", muted: p.muted }));
    });
  }

  // --- helpers ------------------------------------------------------------------------------------

  /**
   * Detaches a participant's handle without throwing: it runs after the participant is out of the
   * room (or never got in), so a failure only means the handle went with its session. Logged.
   */
  async #detach(handle: JanodeHandle | null, context: { meetingId: string; key: string }): Promise<void> {
    await handle?.detach().catch((err) =>
      log.warn("participant handle not detached", { ...context, error: String(err) })
    );
  }

  #requireHandle(): JanodeHandle {
    if (!this.#handle) throw new JanusUnavailable();
    return this.#handle;
  }

  /** One AudioBridge request (on the manager handle unless another is given); answers the plugin data. */
  async #request(
    request: string,
    body: Record<string, unknown>,
    handle?: JanodeHandle,
  ): Promise<Record<string, unknown>> {
    return await pluginRequest(handle ?? this.#requireHandle(), request, body, { dataErrors: true });
  }
}

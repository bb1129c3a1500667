// VideoRoom manager: one room per meeting, created with the admin key and a random room secret,
// an allowed list of per-participant tokens, and a long-lived manager handle for admin calls.
// The room registry (room_registry.ts) is the source of truth: after a Janus restart every live
// room and its tokens are re-created from it.

import VideoRoomPlugin from "janode/plugins/videoroom";
import { logger } from "../../lib/common/log.ts";
import type { JanusAdmin } from "../janus/admin.ts";
import { type JanodeHandle, type JanusContext, type JanusListener, JanusUnavailable } from "../janus/link.ts";
import { JanusRequestFailed, pluginRequest } from "./request.ts";
import { RegisteredRoom, RoomProblem, RoomRegistry, type RoomState } from "./room_registry.ts";
import { randomHex } from "../../lib/common/random.ts";

const log = logger("videoroom");

export const VIDEOROOM_PLUGIN = "janus.plugin.videoroom";

// VideoRoom error codes we act on (janus_videoroom.c).
const ERR_NO_SUCH_ROOM = 426;
const ERR_ROOM_EXISTS = 427;
const ERR_NO_SUCH_FEED = 428;

export interface Participant {
  participantId: string;
  token: string;
  feedId: number;
}

export interface RoomOptions {
  title?: string;
  maxPublishers?: number;
}

class Room extends RegisteredRoom<Participant> {
  readonly kind = "room";
  readonly title: string;
  readonly maxPublishers: number;
  nextFeedId = 1;
  /** While the meeting is recorded: the folder Janus writes every publisher's .mjr files to. */
  recordDir: string | null = null;

  constructor(meetingId: string, roomId: number, options: RoomOptions) {
    super(meetingId, roomId);
    this.title = options.title ?? `Meeting ${meetingId}`;
    this.maxPublishers = options.maxPublishers ?? 100;
  }

  summary() {
    return { maxPublishers: this.maxPublishers };
  }
}

export interface ObservedPublisher {
  feedId: number;
  display: string;
  streams: {
    type: string;
    mid: string;
    codec: string | null;
    description: string | null;
    simulcast: boolean;
    disabled: boolean;
  }[];
}

export interface RoomObserverListener {
  /** New or changed publishers (Janus sends the ones that changed, with all their streams). */
  publishers(list: ObservedPublisher[]): void;
  /** A publisher stopped publishing or left. */
  gone(feedId: number): void;
  talking(feedId: number, talking: boolean): void;
}

export interface RoomObserver {
  feedId: number;
  close(): Promise<void>;
}

export class VideoRoomManager implements JanusListener {
  #handle: JanodeHandle | null = null;
  #session: JanusContext["session"] | null = null;
  #admin: JanusAdmin | null = null;
  #adminKey: string;
  /** The interface remote publishers bind (Janus would otherwise listen on all of them). */
  #plainRtpIp: string;
  #rooms = new RoomRegistry<Room>({
    settings: (room) => this.#settings(room),
    errors: { noSuchRoom: ERR_NO_SUCH_ROOM, roomExists: ERR_ROOM_EXISTS },
    missing: "no room for this meeting; PUT it first",
    foreign: "a Janus room with this number exists but is not managed by this gateway",
    request: (request, body) => this.#request(request, body),
    attached: () => this.#handle !== null,
    log,
  });
  /** Meetings whose room the last (re)connect had to create afresh (Janus restarted: nothing in it). */
  #recreated = new Set<string>();

  constructor(adminKey: string, plainRtpIp = "127.0.0.1") {
    this.#adminKey = adminKey;
    this.#plainRtpIp = plainRtpIp;
  }

  get roomCount(): number {
    return this.#rooms.size;
  }

  /**
   * Whether the last (re)connect created the meeting's room afresh: Janus had restarted, so remote
   * publishers and forwarders of the room are gone (after a mere connection drop they are still there).
   */
  wasRecreated(meetingId: string): boolean {
    return this.#recreated.has(meetingId);
  }

  /** State of a meeting's room, for tests and diagnostics (never the secret). */
  roomState(meetingId: string): RoomState | null {
    return this.#rooms.state(meetingId);
  }

  // --- connection lifecycle ---------------------------------------------------------------------

  async connected(ctx: JanusContext): Promise<void> {
    const handle = await ctx.session.attach(VideoRoomPlugin) as JanodeHandle;
    this.#handle = handle;
    this.#session = ctx.session;
    this.#admin = ctx.admin;
    let restored: number;
    this.#recreated.clear();
    try {
      restored = await this.#rooms.restore((room) => this.#recreate(room));
    } catch (err) {
      this.disconnected();
      throw err;
    }
    log.info("manager handle ready", { handle: handle.id, restoredRooms: restored });
  }

  disconnected(): void {
    this.#handle = null;
    this.#session = null;
    this.#admin = null;
    this.#rooms.markLost();
  }

  /** Re-creates a lost room with the same secret and its participants' tokens. */
  async #recreate(room: Room) {
    const tokens = [...room.participants.values()].map((p) => p.token);
    for (const token of tokens) await this.#requireAdmin().addToken(token, [VIDEOROOM_PLUGIN]);
    if (await this.#rooms.createAgain(room)) {
      this.#recreated.add(room.meetingId);
      log.info("room re-created", { meetingId: room.meetingId, participants: tokens.length });
    } else {
      // Only the connection dropped and Janus kept the room: make sure the allowed list is complete.
      if (tokens.length) {
        await this.#request("allowed", {
          room: room.roomId,
          secret: room.secret,
          action: "add",
          allowed: tokens,
        });
      }
      log.info("room still present after reconnect", { meetingId: room.meetingId });
    }
  }

  /** The room's create request besides what the registry adds (number, secret, private, not permanent). */
  #settings(room: Room): Record<string, unknown> {
    return {
      admin_key: this.#adminKey,
      description: room.title,
      // A present (even empty) allowed list turns on the check: only listed tokens may join.
      allowed: [...room.participants.values()].map((p) => p.token),
      publishers: room.maxPublishers,
      // Browsers simulcast VP8 (or H.264 where VP8 is missing); audio is Opus only, no transcoding.
      videocodec: "vp8,h264",
      audiocodec: "opus",
      bitrate: 0,
      fir_freq: 10,
      // Talking events drive the active-speaker view.
      audiolevel_event: true,
      audio_active_packets: 50,
      audio_level_average: 40,
      notify_joining: true,
      // Only the gateway (with the secret) turns recording on or off; a room re-created after a
      // Janus restart while recording records again, into the same folder.
      lock_record: true,
      record: room.recordDir !== null,
      ...(room.recordDir ? { rec_dir: room.recordDir } : {}),
    };
  }

  // --- operations for the HTTP API ----------------------------------------------------------------

  /** Idempotent: a live room for the meeting exists afterwards (the options of the first call stick). */
  ensureRoom(meetingId: string, options: RoomOptions = {}): Promise<{ room: number; created: boolean }> {
    return this.#rooms.ensure(meetingId, (roomId) => new Room(meetingId, roomId, options));
  }

  /** Idempotent per participant: the same token and feed id until the participant is removed. */
  admitParticipant(meetingId: string, participantId: string): Promise<Participant & { room: number }> {
    return this.#rooms.run(meetingId, async () => {
      const room = this.#rooms.live(meetingId);
      const existing = room.participants.get(participantId);
      if (existing) return { ...existing, room: room.roomId };
      const token = randomHex(24);
      const admin = this.#requireAdmin();
      await admin.addToken(token, [VIDEOROOM_PLUGIN]);
      try {
        await this.#request("allowed", { room: room.roomId, secret: room.secret, action: "add", allowed: [token] });
      } catch (err) {
        // The token is on no allowed list, so it opens no room; a leftover only costs Janus memory.
        await admin.removeToken(token).catch((removeErr) =>
          log.warn("unused participant token not revoked", { meetingId, participantId, error: String(removeErr) })
        );
        throw err;
      }
      const participant = { participantId, token, feedId: room.nextFeedId++ };
      room.participants.set(participantId, participant);
      log.info("participant admitted", { meetingId, participantId, feedId: participant.feedId });
      return { ...participant, room: room.roomId };
    });
  }

  /** Idempotent: afterwards the participant's token works nowhere and their feed is kicked. */
  removeParticipant(meetingId: string, participantId: string): Promise<{ removed: boolean }> {
    return this.#rooms.run(meetingId, async () => {
      const room = this.#rooms.get(meetingId);
      const participant = room?.participants.get(participantId);
      if (!room || !participant) return { removed: false };
      if (room.state === "live") {
        await this.#request("allowed", {
          room: room.roomId,
          secret: room.secret,
          action: "remove",
          allowed: [participant.token],
        });
        await this.#requireAdmin().removeToken(participant.token);
        await this.#kick(room, participant.feedId);
      }
      // A lost room is re-created from the registry, so forgetting the participant is enough.
      room.participants.delete(participantId);
      log.info("participant removed", { meetingId, participantId });
      return { removed: true };
    });
  }

  /** Idempotent: the room is destroyed (everyone in it is kicked) and all its tokens revoked. */
  destroyRoom(meetingId: string): Promise<{ destroyed: boolean }> {
    return this.#rooms.destroy(meetingId, {
      revoke: async (room) => {
        for (const p of room.participants.values()) await this.#requireAdmin().removeToken(p.token);
      },
    });
  }

  /** Mutes or unmutes one of a participant's published streams (VideoRoom `moderate`, needs the secret). */
  moderate(meetingId: string, participantId: string, mid: string, mute: boolean): Promise<void> {
    return this.#rooms.run(meetingId, async () => {
      const room = this.#rooms.live(meetingId);
      const participant = room.participants.get(participantId);
      if (!participant) throw new RoomProblem(404, "no such participant in this meeting");
      try {
        await this.#request("moderate", {
          room: room.roomId,
          secret: room.secret,
          id: participant.feedId,
          mid,
          mute,
        });
      } catch (err) {
        if (err instanceof JanusRequestFailed && err.code === ERR_NO_SUCH_FEED) {
          throw new RoomProblem(409, "the participant is not publishing");
        }
        throw err;
      }
      log.info("participant moderated", { meetingId, participantId, mid, mute });
    });
  }

  /** Feed ids currently publishing or joined in the meeting's room, straight from Janus. */
  listParticipants(meetingId: string): Promise<{ feedId: number; publisher: boolean }[]> {
    return this.#rooms.run(meetingId, async () => {
      const room = this.#rooms.live(meetingId);
      const data = await this.#request("listparticipants", { room: room.roomId, secret: room.secret });
      const list = (data.participants ?? []) as { id: number; publisher: boolean }[];
      return list.map((p) => ({ feedId: p.id, publisher: p.publisher }));
    });
  }

  // --- recording ----------------------------------------------------------------------------------

  /**
   * Records every publisher of the room (each stream to its own .mjr in `dir`, Janus's own names
   * `videoroom-<room>-user-<feed>-<µs>-<audio|video>-<mindex>.mjr`), including publishers who join or
   * start a screen share later; null stops it (Janus closes the files). Idempotent.
   */
  setRecording(meetingId: string, dir: string | null): Promise<void> {
    return this.#rooms.run(meetingId, async () => {
      const room = this.#rooms.live(meetingId);
      if (room.recordDir === dir) return;
      if (dir) await this.#request("edit", { room: room.roomId, secret: room.secret, new_rec_dir: dir });
      await this.#request("enable_recording", { room: room.roomId, secret: room.secret, record: dir !== null });
      room.recordDir = dir;
      log.info(dir ? "recording on" : "recording off", { meetingId });
    });
  }

  /** Feed id → participant id of everyone admitted to the meeting's room (for naming recorded files). */
  feedParticipants(meetingId: string): Map<number, string> {
    const room = this.#rooms.get(meetingId);
    return new Map([...room?.participants.values() ?? []].map((p) => [p.feedId, p.participantId]));
  }

  // --- SIP bridge: RTP forwarders and the remote publisher --------------------------------------

  /**
   * Forwards one stream (`mid`) of a publisher as plain RTP to host:port (`lock_rtp_forward`: needs
   * the admin key). Answers Janus's stream id, for stopRtpForward.
   */
  rtpForward(
    meetingId: string,
    feedId: number,
    stream: {
      mid: string;
      host: string;
      port: number;
      payloadType?: number;
      ssrc?: number;
      /** Where the recipient's RTCP feedback (PLI/FIR) comes from: Janus sends RTCP there and listens. */
      rtcpPort?: number;
      /** A simulcast source forwarded as one stream, as a viewer would get it. */
      simulcast?: boolean;
    },
  ): Promise<{ streamId: number }> {
    return this.#rooms.run(meetingId, async () => {
      const room = this.#rooms.live(meetingId);
      const data = await this.#request("rtp_forward", {
        room: room.roomId,
        secret: room.secret,
        admin_key: this.#adminKey,
        publisher_id: feedId,
        host: stream.host,
        streams: [{
          mid: stream.mid,
          port: stream.port,
          ...(stream.payloadType === undefined ? {} : { pt: stream.payloadType }),
          ...(stream.ssrc === undefined ? {} : { ssrc: stream.ssrc }),
          ...(stream.rtcpPort === undefined ? {} : { rtcp_port: stream.rtcpPort }),
          ...(stream.simulcast ? { simulcast: true } : {}),
        }],
      });
      const forwarders = (data.forwarders ?? []) as { stream_id?: number }[];
      const streamId = forwarders[0]?.stream_id;
      if (typeof streamId !== "number") throw new JanusRequestFailed("rtp_forward", null, "no stream_id in the answer");
      return { streamId };
    });
  }

  /** Stops a forwarder started by rtpForward; false when the publisher or forwarder is gone already. */
  stopRtpForward(meetingId: string, feedId: number, streamId: number): Promise<{ stopped: boolean }> {
    return this.#rooms.run(meetingId, async () => {
      const room = this.#rooms.live(meetingId);
      try {
        await this.#request("stop_rtp_forward", {
          room: room.roomId,
          secret: room.secret,
          admin_key: this.#adminKey,
          publisher_id: feedId,
          stream_id: streamId,
        });
        return { stopped: true };
      } catch (err) {
        if (err instanceof JanusRequestFailed && err.code === ERR_NO_SUCH_FEED) return { stopped: false };
        throw err;
      }
    });
  }

  /**
   * Adds a remote publisher (Janus 1.1 cascading API): browsers see and subscribe to it like any
   * feed; its media arrives as plain RTP on the answered port, demultiplexed by SSRC (stream at
   * mindex m must use SSRC 1000 + 10 × m). Janus 1.1.2 leaks the sockets of removed remote
   * publishers, so the SIP bridge adds one per meeting and keeps it for the room's life.
   * The feed id comes from the room's own counter, so it never collides with a participant's.
   */
  addRemotePublisher(
    meetingId: string,
    publisher: {
      display: string;
      iface?: string;
      streams: { type: "audio" | "video"; mindex: number; mid: string; codec: string; description?: string }[];
    },
  ): Promise<{ feedId: number; host: string; port: number; rtcpPort: number | null }> {
    return this.#rooms.run(meetingId, async () => {
      const room = this.#rooms.live(meetingId);
      const feedId = room.nextFeedId++;
      const data = await this.#request("add_remote_publisher", {
        room: room.roomId,
        secret: room.secret,
        id: feedId,
        display: publisher.display,
        iface: publisher.iface ?? this.#plainRtpIp,
        streams: publisher.streams,
      });
      if (typeof data.port !== "number") {
        throw new JanusRequestFailed("add_remote_publisher", null, "no port in the answer");
      }
      log.info("remote publisher added", { meetingId, feedId, display: publisher.display });
      return {
        feedId,
        host: String(data.ip ?? "127.0.0.1"),
        port: data.port,
        rtcpPort: typeof data.rtcp_port === "number" ? data.rtcp_port : null,
      };
    });
  }

  /**
   * Removes a remote publisher (a room system's camera when its call ends). Janus 1.1.2 keeps the
   * removed publisher's two UDP sockets open until it restarts; false when it was gone already.
   */
  removeRemotePublisher(meetingId: string, feedId: number): Promise<{ removed: boolean }> {
    return this.#rooms.run(meetingId, async () => {
      const room = this.#rooms.get(meetingId);
      if (!room || room.state !== "live") return { removed: false };
      try {
        await this.#request("remove_remote_publisher", { room: room.roomId, secret: room.secret, id: feedId });
      } catch (err) {
        if (err instanceof JanusRequestFailed && err.code === ERR_NO_SUCH_FEED) return { removed: false };
        throw err;
      }
      log.info("remote publisher removed", { meetingId, feedId });
      return { removed: true };
    });
  }

  /**
   * Joins the meeting's room as a participant that publishes nothing, to hear what browsers hear:
   * the publishers with their streams, who left, and Janus's talking events (the manager handle is
   * not in the room and gets none of these). Used to pick the active speaker for room systems.
   */
  async observe(meetingId: string, listener: RoomObserverListener): Promise<RoomObserver> {
    const participantId = `gateway-observer-${randomHex(4)}`;
    const admitted = await this.admitParticipant(meetingId, participantId);
    const session = this.#session;
    if (!session) {
      await this.#forgetObserver(meetingId, participantId, null);
      throw new JanusUnavailable();
    }
    let handle: JanodeHandle & { on(event: string, fn: (data: Record<string, unknown>) => void): void };
    try {
      handle = await session.attach(VideoRoomPlugin) as typeof handle;
    } catch (err) {
      await this.#forgetObserver(meetingId, participantId, null);
      throw err;
    }
    const publishers = (list: unknown) => {
      const out: ObservedPublisher[] = [];
      // janode's events name the feed `feed`; the join answer is Janus's own (`id`).
      for (
        const p of (list ?? []) as {
          feed?: number;
          id?: number;
          display?: string;
          streams?: Record<string, unknown>[];
        }[]
      ) {
        out.push({
          feedId: Number(p.feed ?? p.id),
          display: p.display ?? "",
          streams: (p.streams ?? []).map((st) => ({
            type: String(st.type),
            mid: String(st.mid),
            codec: typeof st.codec === "string" ? st.codec : null,
            description: typeof st.description === "string" ? st.description : null,
            simulcast: st.simulcast === true,
            disabled: st.disabled === true,
          })),
        });
      }
      return out;
    };
    // janode's VideoRoom event names (videoroom-plugin.js PLUGIN_EVENT).
    handle.on("videoroom_publisher_list", (d) => listener.publishers(publishers(d.publishers)));
    handle.on("videoroom_talking", (d) => listener.talking(Number(d.feed), d.talking === true));
    handle.on("videoroom_unpublished", (d) => listener.gone(Number(d.feed)));
    handle.on("videoroom_leaving", (d) => listener.gone(Number(d.feed)));
    try {
      const joined = await pluginRequest(handle, "join", {
        ptype: "publisher",
        room: admitted.room,
        id: admitted.feedId,
        display: participantId,
        token: admitted.token,
      }) as { publishers?: unknown };
      listener.publishers(publishers(joined.publishers));
    } catch (err) {
      await this.#forgetObserver(meetingId, participantId, handle);
      throw err;
    }
    log.info("room observer joined", { meetingId, feedId: admitted.feedId });
    return {
      feedId: admitted.feedId,
      close: () => this.#forgetObserver(meetingId, participantId, handle),
    };
  }

  /**
   * Leave, then detach, then forget an observer; never throws, because it runs on the way out of a
   * failure or a close that must not fail. A handle that does not detach went with its session; a
   * participant not removed stays in the registry until the room is destroyed (its token opens only
   * this room): both are logged.
   */
  async #forgetObserver(meetingId: string, participantId: string, handle: JanodeHandle | null): Promise<void> {
    await handle?.detach().catch((err) =>
      log.warn("observer handle not detached", { meetingId, participantId, error: String(err) })
    );
    await this.removeParticipant(meetingId, participantId).catch((err) =>
      log.warn("observer not removed", { meetingId, participantId, error: String(err) })
    );
  }

  // --- helpers ------------------------------------------------------------------------------------

  async #kick(room: Room, feedId: number) {
    try {
      await this.#request("kick", { room: room.roomId, secret: room.secret, id: feedId });
    } catch (err) {
      // Not in the room (never joined, or already left): nothing to kick.
      if (!(err instanceof JanusRequestFailed && err.code === ERR_NO_SUCH_FEED)) throw err;
    }
  }

  #requireHandle(): JanodeHandle {
    if (!this.#handle) throw new JanusUnavailable();
    return this.#handle;
  }

  #requireAdmin(): JanusAdmin {
    if (!this.#admin) throw new JanusUnavailable();
    return this.#admin;
  }

  /** Sends one synchronous VideoRoom request on the manager handle; answers the plugin's data. */
  async #request(request: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    return await pluginRequest(this.#requireHandle(), request, body);
  }
}

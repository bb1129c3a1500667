// Video for SIP room systems in one meeting (docs/sip-media.md, "Room systems with video"):
//
// - each room system's camera is a VideoRoom remote publisher whose display is the caller's
//   participant id, so browsers show it on the caller's tile like any camera;
// - the active speaker's camera goes back to each room system (VP8, or transcoded), by `rtp_forward`
//   (simulcast forwarded as one stream, as a viewer gets it) to its video relay, with an RTCP port
//   so key frame requests reach the speaker's browser;
// - who speaks comes from Janus's talking events for browsers, heard by an observer that joins the
//   room without publishing (the gateway's manager handle is not in the room), and from the relays'
//   levels for room systems (a VP8 camera can be forwarded to the others). Each room system sees
//   whoever started talking last among those talking now; when nobody talks, the last one who did.
//   A room system never gets its own camera back.

import { logger } from "../../lib/common/log.ts";
import type { VideoRelay } from "../rtp/video.ts";
import type { ObservedPublisher, RoomObserver, VideoRoomManager } from "../plugins/videoroom.ts";
import { KeyedQueue } from "../plugins/request.ts";
import { PerMeeting } from "./per_meeting.ts";

const log = logger("room-video");

interface VideoCall {
  relay: VideoRelay;
  participantId: string;
  feedId: number | null;
  /** The speaker's camera forwarded to this call now. */
  forward: { feedId: number; streamId: number } | null;
}

export interface MeetingVideoOptions {
  meetingId: string;
  rooms: VideoRoomManager;
  /** Address the gateway uses for Janus's plain-RTP ports instead of the announced one. */
  janusMediaHost?: string;
}

export class MeetingVideo {
  readonly meetingId: string;
  #o: MeetingVideoOptions;
  #calls = new Map<string, VideoCall>();
  #publishers = new Map<number, ObservedPublisher>();
  #observer: RoomObserver | null = null;
  /** Feeds by when they last started talking, most recent last (browsers and room systems). */
  #recent: number[] = [];
  /** Feeds talking right now. */
  #talkingNow = new Set<number>();
  #queue = new KeyedQueue();

  constructor(options: MeetingVideoOptions) {
    this.meetingId = options.meetingId;
    this.#o = options;
  }

  get size(): number {
    return this.#calls.size;
  }

  /**
   * The room system's camera as a remote publisher (display = its participant id, so browsers put it
   * on the caller's tile) and its relay sending there.
   */
  async #addCamera(call: VideoCall) {
    const feed = await this.#o.rooms.addRemotePublisher(this.meetingId, {
      display: call.participantId,
      streams: [{ type: "video", mindex: 0, mid: "0", codec: call.relay.codec, description: "camera" }],
    });
    call.feedId = feed.feedId;
    const host = this.#o.janusMediaHost ?? feed.host;
    call.relay.connectPublisher(
      { host, port: feed.port },
      feed.rtcpPort === null ? null : { host, port: feed.rtcpPort },
    );
  }

  /** A call's camera feed now (it changes when Janus restarts). */
  feedOf(callId: string): number | null {
    return this.#calls.get(callId)?.feedId ?? null;
  }

  /** The speaker's feed forwarded to a call now (for diagnostics and tests). */
  forwardedTo(callId: string): number | null {
    return this.#calls.get(callId)?.forward?.feedId ?? null;
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    return this.#queue.run(this.meetingId, fn);
  }

  /**
   * The room system's camera enters the meeting (remote publisher) and, when it takes VP8, the
   * speaker's camera starts going back to it. The room must exist.
   */
  add(callId: string, relay: VideoRelay, participantId: string): Promise<void> {
    return this.#serial(async () => {
      if (this.#calls.has(callId)) throw new Error(`call ${callId} already has video`);
      const call: VideoCall = { relay, participantId, feedId: null, forward: null };
      this.#calls.set(callId, call);
      try {
        await this.#addCamera(call);
        if (relay.sendsToCaller && !this.#observer) await this.#observe();
        await this.#route(call);
        log.info("room system video in", {
          meetingId: this.meetingId,
          callId,
          feedId: call.feedId,
          codec: relay.codec,
        });
      } catch (err) {
        await this.#drop(callId, call);
        throw err;
      }
    });
  }

  /** The call ended or left the meeting: its camera and forwarder go. Idempotent. */
  remove(callId: string): Promise<void> {
    return this.#serial(async () => {
      const call = this.#calls.get(callId);
      if (call) await this.#drop(callId, call);
    });
  }

  /**
   * A room system started talking (the relay measures callers' audio; Janus sends no talking events
   * for them): its camera becomes the speaker for the other room systems that can take it.
   */
  callTalking(callId: string, talking: boolean): Promise<void> {
    return this.#serial(async () => {
      const feedId = this.#calls.get(callId)?.feedId ?? null;
      if (feedId !== null) await this.#onTalking(feedId, talking);
    });
  }

  /** The room system asked for a key frame of what it receives. */
  keyframeFromCaller(callId: string) {
    this.#calls.get(callId)?.relay.keyframeFromCaller();
  }

  async #drop(callId: string, call: VideoCall) {
    this.#calls.delete(callId);
    call.relay.disconnectPublisher();
    await this.#unforward(call);
    if (call.feedId !== null) {
      await this.#o.rooms.removeRemotePublisher(this.meetingId, call.feedId).catch((err) => {
        log.warn("removing a room system's camera failed", { meetingId: this.meetingId, error: err.message });
      });
    }
    if (![...this.#calls.values()].some((c) => c.relay.sendsToCaller) && this.#observer) {
      const observer = this.#observer;
      this.#observer = null;
      this.#publishers.clear();
      this.#recent = [];
      this.#talkingNow.clear();
      await observer.close();
    }
  }

  /**
   * Janus restarted: the re-created VideoRoom has none of the room systems' cameras, no forwarders and
   * no observer. Each camera is added again (a new feed with the same display, so browsers put it on
   * the same tile), the observer joins again and the speaker is routed again.
   */
  janusRestored(): Promise<void> {
    return this.#serial(async () => {
      if (!this.#o.rooms.wasRecreated(this.meetingId)) return; // only the connection dropped
      const old = this.#observer;
      this.#observer = null;
      this.#publishers.clear();
      this.#recent = [];
      this.#talkingNow.clear();
      await old?.close().catch(() => {});
      for (const call of this.#calls.values()) {
        call.forward = null;
        call.feedId = null;
        await this.#addCamera(call);
      }
      if ([...this.#calls.values()].some((c) => c.relay.sendsToCaller)) await this.#observe();
      await this.#routeAll();
      log.info("room system video restored after a Janus restart", {
        meetingId: this.meetingId,
        calls: this.#calls.size,
      });
    });
  }

  async #observe() {
    this.#observer = await this.#o.rooms.observe(this.meetingId, {
      publishers: (list) => void this.#serial(() => this.#onPublishers(list)),
      gone: (feedId) => void this.#serial(() => this.#onGone(feedId)),
      talking: (feedId, talking) => void this.#serial(() => this.#onTalking(feedId, talking)),
    });
  }

  // --- the speaker ---------------------------------------------------------------------------------

  /** The camera stream of a publisher that can go to a room system (VP8, not a screen). */
  #camera(feedId: number): { mid: string; simulcast: boolean } | null {
    const p = this.#publishers.get(feedId);
    const s = p?.streams.find((st) =>
      st.type === "video" && !st.disabled && st.codec === "vp8" && st.description !== "screen"
    );
    return s ? { mid: s.mid, simulcast: s.simulcast } : null;
  }

  /**
   * What a call should see: whoever started talking most recently among those talking now, else the
   * last one who talked, else who it sees now, else the first camera in the room (never itself).
   */
  #choose(call: VideoCall): number | null {
    const eligible = (feedId: number | null): feedId is number =>
      feedId !== null && feedId !== call.feedId && feedId !== this.#observer?.feedId && this.#camera(feedId) !== null;
    const recent = [...this.#recent].reverse();
    const talking = recent.find((f) => this.#talkingNow.has(f) && eligible(f));
    if (talking !== undefined) return talking;
    const talked = recent.find((f) => eligible(f));
    if (talked !== undefined) return talked;
    const current = call.forward?.feedId ?? null;
    if (eligible(current)) return current;
    for (const feedId of this.#publishers.keys()) if (eligible(feedId)) return feedId;
    return null;
  }

  async #route(call: VideoCall) {
    if (!call.relay.sendsToCaller || ![...this.#calls.values()].includes(call)) return;
    const want = this.#choose(call);
    if (want === (call.forward?.feedId ?? null)) return;
    await this.#unforward(call);
    if (want === null) return;
    const camera = this.#camera(want)!;
    const target = call.relay.forwardTarget;
    call.relay.expectNewSource();
    try {
      const { streamId } = await this.#o.rooms.rtpForward(this.meetingId, want, {
        mid: camera.mid,
        host: target.host,
        port: target.port,
        rtcpPort: target.rtcpPort,
        simulcast: camera.simulcast,
      });
      call.forward = { feedId: want, streamId };
      log.info("speaker to room system", {
        meetingId: this.meetingId,
        participantId: call.participantId,
        feedId: want,
      });
    } catch (err) {
      // The publisher left in between: the next event routes again.
      log.warn("forwarding the speaker failed", { meetingId: this.meetingId, error: (err as Error).message });
    }
  }

  async #unforward(call: VideoCall) {
    const f = call.forward;
    if (!f) return;
    call.forward = null;
    await this.#o.rooms.stopRtpForward(this.meetingId, f.feedId, f.streamId).catch(() => {});
  }

  async #routeAll() {
    for (const call of this.#calls.values()) await this.#route(call);
  }

  async #onPublishers(list: ObservedPublisher[]) {
    for (const p of list) this.#publishers.set(p.feedId, p);
    await this.#routeAll();
  }

  async #onGone(feedId: number) {
    this.#publishers.delete(feedId);
    this.#recent = this.#recent.filter((f) => f !== feedId);
    this.#talkingNow.delete(feedId);
    for (const call of this.#calls.values()) {
      if (call.forward?.feedId === feedId) {
        // Janus stopped the forwarder with the publisher.
        call.forward = null;
      }
    }
    await this.#routeAll();
  }

  async #onTalking(feedId: number, talking: boolean) {
    if (talking) {
      this.#talkingNow.add(feedId);
      this.#recent = [...this.#recent.filter((f) => f !== feedId), feedId];
    } else if (!this.#talkingNow.delete(feedId)) {
      return;
    }
    await this.#routeAll();
  }
}

/** One MeetingVideo per meeting with room systems; call control holds one of these. */
export class MeetingVideos extends PerMeeting<MeetingVideo> {
  constructor(readonly options: Omit<MeetingVideoOptions, "meetingId">) {
    super("room system video", log, (meetingId) => new MeetingVideo({ ...options, meetingId }));
  }

  /** Forgets a meeting without room systems left. */
  release(meetingId: string) {
    if (this.get(meetingId)?.size === 0) this.forget(meetingId);
  }
}

// The per-meeting SIP bridge: an AudioBridge room with groups "web" and "sip" that exists while a
// SIP caller is present. Browser publishers' audio is rtp_forwarded from the VideoRoom into it
// (group "web"); each caller's relay is a plain-RTP participant (group "sip", hears everyone but
// itself); the "sip" mix goes back into the VideoRoom as one remote publisher, "Phone participants".

import { logger } from "../../lib/common/log.ts";
import type { AudioBridgeManager, BridgeCodec } from "../plugins/audiobridge.ts";
import type { RtpRelay } from "../rtp/relay.ts";
import type { VideoRoomManager } from "../plugins/videoroom.ts";
import { KeyedQueue } from "../plugins/request.ts";
import { PerMeeting } from "./per_meeting.ts";
import { transitionTable } from "../../lib/common/state.ts";

const log = logger("sip-bridge");

export type BridgeState = "idle" | "starting" | "live" | "stopping";

const TRANSITIONS = transitionTable<BridgeState>("sip bridge", {
  idle: ["starting"],
  // Back to idle when Janus refused or went away while starting.
  starting: ["live", "idle"],
  live: ["stopping"],
  stopping: ["idle"],
});

/** Janus's default Opus payload type, used on every Opus leg inside Janus. */
const OPUS_PT = 111;
/** Remote publishers demultiplex by SSRC: the stream at mindex m must arrive with 1000 + 10 × m. */
const REMOTE_PUBLISHER_SSRC = 1000;

export const PHONE_FEED_DISPLAY = "Phone participants";

export interface SipBridgeOptions {
  meetingId: string;
  bridges: AudioBridgeManager;
  rooms: VideoRoomManager;
  /**
   * Address the gateway uses to reach Janus's plain-RTP ports instead of the one Janus announces
   * (the AudioBridge binds its plain-RTP sockets to its `local_ip`, autodetected when unset).
   */
  janusMediaHost?: string;
  /** Mixer rate of the AudioBridge room. */
  samplingRate?: 16000 | 48000;
}

export interface CallerJoin {
  display: string;
  muted?: boolean;
}

interface Caller {
  relay: RtpRelay;
  join: CallerJoin;
}

interface WebPublisher {
  mid: string;
  /** Set while forwarded into the live bridge. */
  forwardStreamId: number | null;
}

export class SipBridge {
  #state: BridgeState = "idle";
  readonly meetingId: string;
  #options: SipBridgeOptions;
  #callers = new Map<string, Caller>();
  #web = new Map<number, WebPublisher>();
  /** The "Phone participants" remote publisher, kept for the VideoRoom room's life. */
  #phoneFeed: { feedId: number; host: string; port: number } | null = null;
  #groupForwardId: number | null = null;
  #queue = new KeyedQueue();

  constructor(options: SipBridgeOptions) {
    this.meetingId = options.meetingId;
    this.#options = options;
  }

  get state(): BridgeState {
    return this.#state;
  }

  /** The VideoRoom feed id browsers subscribe to for the phone participants (null until first start). */
  get phoneFeedId(): number | null {
    return this.#phoneFeed?.feedId ?? null;
  }

  get callerCount(): number {
    return this.#callers.size;
  }

  #to(next: BridgeState) {
    TRANSITIONS.check(this.#state, next, this.meetingId);
    log.info("bridge state", { meetingId: this.meetingId, from: this.#state, to: next });
    this.#state = next;
  }

  #janusHost(announced: string): string {
    return this.#options.janusMediaHost ?? announced;
  }

  /** Runs bridge operations one at a time (events from SIP and the VideoRoom race otherwise). */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    return this.#queue.run(this.meetingId, fn);
  }

  // --- callers ------------------------------------------------------------------------------------

  /**
   * Puts a caller's relay into the bridge (starting the bridge if this is the first caller): the
   * relay sends the caller's audio to Janus and the caller hears everyone but themselves.
   */
  addCaller(callId: string, relay: RtpRelay, join: CallerJoin): Promise<{ feedId: number }> {
    return this.#serial(async () => {
      if (this.#callers.has(callId)) throw new Error(`call ${callId} is already in the bridge`);
      if (this.#state === "idle") await this.#start();
      const feedId = await this.#joinCaller(callId, relay, join);
      this.#callers.set(callId, { relay, join });
      return { feedId };
    });
  }

  async #joinCaller(callId: string, relay: RtpRelay, join: CallerJoin) {
    const codec = relay.codec as BridgeCodec;
    const payloadType = codec === "pcmu" ? 0 : codec === "pcma" ? 8 : OPUS_PT;
    const joined = await this.#options.bridges.joinPlainRtp(this.meetingId, {
      key: `sip:${callId}`,
      display: join.display,
      group: "sip",
      codec,
      target: relay.janusSideAddress,
      payloadType,
      muted: join.muted,
      onRejoined: (janus) =>
        relay.connectJanus({ host: this.#janusHost(janus.host), port: janus.port, payloadType: janus.payloadType }),
    });
    relay.connectJanus({
      host: this.#janusHost(joined.janus.host),
      port: joined.janus.port,
      payloadType: joined.janus.payloadType,
    });
    return joined.feedId;
  }

  /** Takes a caller out; the last caller out stops the bridge. Idempotent. */
  removeCaller(callId: string): Promise<{ removed: boolean }> {
    return this.#serial(async () => {
      const caller = this.#callers.get(callId);
      if (!caller) return { removed: false };
      caller.relay.disconnectJanus();
      this.#callers.delete(callId);
      await this.#options.bridges.leave(this.meetingId, `sip:${callId}`);
      if (this.#callers.size === 0 && this.#state === "live") await this.#stop();
      return { removed: true };
    });
  }

  /** Host mute of a caller: the others stop hearing them (they still hear the meeting). */
  setCallerMuted(callId: string, muted: boolean): Promise<void> {
    return this.#serial(async () => {
      if (!this.#callers.has(callId)) throw new Error(`call ${callId} is not in the bridge`);
      await this.#options.bridges.setMuted(this.meetingId, `sip:${callId}`, muted);
    });
  }

  // --- browser publishers ----------------------------------------------------------------------

  /**
   * A browser publisher's audio stream (VideoRoom feed id and the audio `mid`) exists: it is
   * forwarded into the bridge whenever the bridge is live. Call for every publisher, live or not.
   */
  addWebPublisher(feedId: number, audioMid: string): Promise<void> {
    return this.#serial(async () => {
      // The phone feed itself must never go back in: callers would hear themselves.
      if (feedId === this.#phoneFeed?.feedId) return;
      const existing = this.#web.get(feedId);
      if (existing && existing.mid === audioMid) return;
      if (existing) await this.#unforwardWeb(feedId, existing);
      const web: WebPublisher = { mid: audioMid, forwardStreamId: null };
      this.#web.set(feedId, web);
      if (this.#state === "live") await this.#forwardWeb(feedId, web);
    });
  }

  /** The publisher left or stopped publishing audio. Idempotent. */
  removeWebPublisher(feedId: number): Promise<void> {
    return this.#serial(async () => {
      const web = this.#web.get(feedId);
      if (!web) return;
      this.#web.delete(feedId);
      await this.#unforwardWeb(feedId, web);
    });
  }

  async #forwardWeb(feedId: number, web: WebPublisher) {
    // Receive only (no target): browsers hear the phones through the VideoRoom, not this mix.
    const joined = await this.#options.bridges.joinPlainRtp(this.meetingId, {
      key: `web:${feedId}`,
      display: `web ${feedId}`,
      group: "web",
      codec: "opus",
      target: null,
      payloadType: OPUS_PT,
    });
    try {
      const { streamId } = await this.#options.rooms.rtpForward(this.meetingId, feedId, {
        mid: web.mid,
        host: this.#janusHost(joined.janus.host),
        port: joined.janus.port,
        payloadType: OPUS_PT,
      });
      web.forwardStreamId = streamId;
    } catch (err) {
      await this.#options.bridges.leave(this.meetingId, `web:${feedId}`);
      throw err;
    }
  }

  async #unforwardWeb(feedId: number, web: WebPublisher) {
    if (web.forwardStreamId === null) return;
    await this.#options.rooms.stopRtpForward(this.meetingId, feedId, web.forwardStreamId).catch((err) => {
      log.warn("stopping a web forwarder failed", { meetingId: this.meetingId, feedId, error: err.message });
    });
    web.forwardStreamId = null;
    await this.#options.bridges.leave(this.meetingId, `web:${feedId}`);
  }

  // --- lifecycle ------------------------------------------------------------------------------------

  async #start() {
    this.#to("starting");
    const { bridges, rooms } = this.#options;
    try {
      await bridges.ensureRoom(this.meetingId, { samplingRate: this.#options.samplingRate ?? 48000 });
      if (!this.#phoneFeed) {
        const feed = await rooms.addRemotePublisher(this.meetingId, {
          display: PHONE_FEED_DISPLAY,
          streams: [{ type: "audio", mindex: 0, mid: "0", codec: "opus", description: PHONE_FEED_DISPLAY }],
        });
        this.#phoneFeed = { feedId: feed.feedId, host: feed.host, port: feed.port };
      }
      const forward = await bridges.forwardGroup(this.meetingId, {
        group: "sip",
        host: this.#janusHost(this.#phoneFeed.host),
        port: this.#phoneFeed.port,
        codec: "opus",
        payloadType: OPUS_PT,
        ssrc: REMOTE_PUBLISHER_SSRC,
        alwaysOn: true,
      });
      this.#groupForwardId = forward.forwardId;
      for (const [feedId, web] of this.#web) {
        try {
          await this.#forwardWeb(feedId, web);
        } catch (err) {
          // One publisher that left in the meantime must not keep the phones out of the meeting.
          log.warn("forwarding a web publisher failed", {
            meetingId: this.meetingId,
            feedId,
            error: (err as Error).message,
          });
        }
      }
    } catch (err) {
      await bridges.destroyRoom(this.meetingId).catch(() => {});
      this.#groupForwardId = null;
      for (const web of this.#web.values()) web.forwardStreamId = null;
      this.#to("idle");
      throw err;
    }
    this.#to("live");
  }

  async #stop() {
    this.#to("stopping");
    const { bridges } = this.#options;
    try {
      for (const [feedId, web] of this.#web) {
        await this.#unforwardWeb(feedId, web).catch(() => {});
      }
      for (const caller of this.#callers.values()) caller.relay.disconnectJanus();
      // Destroying the room ends its forwarders and participants; the phone feed stays (1.1.2 leaks
      // the sockets of removed remote publishers) and is silent until the bridge starts again.
      await bridges.destroyRoom(this.meetingId);
    } finally {
      this.#groupForwardId = null;
      this.#callers.clear();
      for (const web of this.#web.values()) web.forwardStreamId = null;
      this.#to("idle");
    }
  }

  // --- after a Janus restart ---------------------------------------------------------------------

  /**
   * Janus restarted and both managers re-created their rooms (the AudioBridge with its callers, whose
   * relays were re-pointed; the VideoRoom with its tokens) but not what joins them: the phone feed
   * (a remote publisher), the sip mix's forwarder to it, and browsers' audio forwarded into the
   * bridge. The feed is added again and the mix pointed at it; browsers' audio is forwarded again as
   * each browser publishes again (it reconnects by itself), tried every second for a minute.
   */
  janusRestored(): Promise<void> {
    return this.#serial(async () => {
      const { bridges, rooms } = this.#options;
      if (!rooms.wasRecreated(this.meetingId)) return; // only the connection dropped: all still there
      if (this.#state !== "live") {
        this.#phoneFeed = null;
        return;
      }
      const feed = await rooms.addRemotePublisher(this.meetingId, {
        display: PHONE_FEED_DISPLAY,
        streams: [{ type: "audio", mindex: 0, mid: "0", codec: "opus", description: PHONE_FEED_DISPLAY }],
      });
      this.#phoneFeed = { feedId: feed.feedId, host: feed.host, port: feed.port };
      if (this.#groupForwardId !== null) {
        await bridges.stopForward(this.meetingId, this.#groupForwardId).catch(() => {});
      }
      const forward = await bridges.forwardGroup(this.meetingId, {
        group: "sip",
        host: this.#janusHost(feed.host),
        port: feed.port,
        codec: "opus",
        payloadType: OPUS_PT,
        ssrc: REMOTE_PUBLISHER_SSRC,
        alwaysOn: true,
      });
      this.#groupForwardId = forward.forwardId;
      for (const web of this.#web.values()) web.forwardStreamId = null;
      log.info("bridge restored after a Janus restart", { meetingId: this.meetingId, phoneFeed: feed.feedId });
    }).then(() => this.#reforwardWeb(Date.now() + 60_000));
  }

  /** Forwards browsers' audio that is not forwarded (yet), retrying each second until `until`. */
  async #reforwardWeb(until: number): Promise<void> {
    const pending = await this.#serial(async () => {
      if (this.#state !== "live") return 0;
      let left = 0;
      for (const [feedId, web] of this.#web) {
        if (web.forwardStreamId !== null) continue;
        // The re-created AudioBridge re-joined the old web participant: join it afresh with the forward.
        await this.#options.bridges.leave(this.meetingId, `web:${feedId}`).catch(() => {});
        try {
          await this.#forwardWeb(feedId, web);
        } catch {
          left++; // the browser has not published again yet
        }
      }
      return left;
    });
    if (pending > 0 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 1000));
      return this.#reforwardWeb(until);
    }
    if (pending > 0) {
      log.warn("browsers' audio not forwarded after a Janus restart", { meetingId: this.meetingId, pending });
    }
  }

  /** The meeting ended: callers are dropped from the bridge and it stops (their calls are call control's). */
  meetingEnded(): Promise<void> {
    return this.#serial(async () => {
      this.#web.clear();
      if (this.#state === "live") await this.#stop();
      this.#phoneFeed = null;
    });
  }
}

/** One SipBridge per meeting, created on demand; call control holds one of these. */
export class SipBridges extends PerMeeting<SipBridge> {
  constructor(readonly options: Omit<SipBridgeOptions, "meetingId">) {
    super("a bridge", log, (meetingId) => new SipBridge({ ...options, meetingId }));
  }

  async meetingEnded(meetingId: string) {
    const bridge = this.get(meetingId);
    if (!bridge) return;
    await bridge.meetingEnded();
    this.forget(meetingId);
  }
}

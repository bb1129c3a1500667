// The browser's media connection to Janus through janus.js: one session, one VideoRoom publisher
// PeerConnection carrying microphone, camera (VP8 simulcast) and screen, and one multistream
// subscriber PeerConnection receiving everyone else. It restarts ICE when a PeerConnection fails
// and rebuilds everything (new session, republish, resubscribe) when the Janus session is lost.
// Nothing runs at import time (the server imports it while rendering the island). No UI here.

import JanusImport from "janus-gateway";
import type { JanusJS } from "janus-gateway";
import adapter from "webrtc-adapter";
import type { MediaAccess } from "../../contracts/gateway_api.ts";
import { backoffDelay } from "./socket.ts";
import type { MidInfo, StreamSource } from "./stats.ts";

const VIDEOROOM = "janus.plugin.videoroom";
/** VideoRoom error codes we act on (janus_videoroom.c). */
const ERR_ID_EXISTS = 436;

export type MediaStatus = "connecting" | "connected" | "reconnecting" | "closed";

/** One stream this browser receives, tied to the participant who publishes it. */
export interface RemoteStream {
  mid: string;
  feedId: number;
  participantId: string;
  source: StreamSource;
  track: MediaStreamTrack | null;
}

export interface MediaSessionEvents {
  status(status: MediaStatus): void;
  /** The full list of received streams, after every change. */
  remote(streams: RemoteStream[]): void;
  talking(participantId: string, talking: boolean): void;
  /** A user error to show, or an internal one to log. */
  error(kind: "user" | "internal", message: string): void;
  /** The room is gone (meeting ended) or this participant was kicked. */
  removed(reason: "destroyed" | "kicked"): void;
  /** Janus accepted a publish or configure: the mids now carrying microphone, camera and screen. */
  published?(mids: PublishedMids): void;
}

/** Which publisher mid carries which source (absent: not published). */
export interface PublishedMids {
  audio?: string;
  video?: string;
  screen?: string;
}

export interface LocalTracks {
  audio: MediaStreamTrack | null;
  audioMuted: boolean;
  video: MediaStreamTrack | null;
  screen: MediaStreamTrack | null;
}

export interface MediaSessionOptions {
  participantId: string;
  /** Fetches (fresh) media access; called before every (re)build of the session. */
  getAccess(): Promise<MediaAccess>;
  events: MediaSessionEvents;
  debug?: boolean;
}

interface PublisherStream {
  type: string;
  mid: string;
  description?: string;
  disabled?: boolean;
}

interface Publisher {
  id: number;
  display?: string;
  streams?: PublisherStream[];
  talking?: boolean;
}

interface SubscriberStream {
  mid: string;
  type: string;
  active?: boolean;
  feed_id?: number;
  feed_mid?: string;
  feed_description?: string;
}

type VideoRoomMessage = JanusJS.Message & {
  videoroom?: string;
  error_code?: number;
  error?: string;
  private_id?: number;
  publishers?: Publisher[];
  unpublished?: number | "ok";
  leaving?: number | "ok";
  reason?: string;
  streams?: SubscriberStream[];
  id?: number;
  started?: string;
};

type Handle = JanusJS.PluginHandle;
type Waiter = {
  match: (msg: VideoRoomMessage, jsep?: JanusJS.JSEP) => boolean;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
};

// ---- janus.js setup ---------------------------------------------------------------------------

// Deno types the package as CommonJS (its d.ts has no "type": "module"), so the default import is
// the module object for the type checker but the class itself once bundled: accept both.
// On the server janus.js finds no `window` and exports undefined; it is only used in the browser.
const Janus =
  ((JanusImport as unknown as { default?: unknown } | undefined)?.default ?? JanusImport) as typeof JanusJS.Janus;
type Janus = JanusJS.Janus;

/** Janus WebSockets opened by janus.js, so the test hook can cut them like a network failure. */
const janusSockets = new Set<WebSocket>();

class TrackedWebSocket extends WebSocket {
  constructor(url: string | URL, protocols?: string | string[]) {
    super(url, protocols);
    janusSockets.add(this);
    this.addEventListener("close", () => janusSockets.delete(this));
  }
}

let initialized: Promise<void> | null = null;

function initJanus(debug: boolean): Promise<void> {
  initialized ??= new Promise((resolve) => {
    Janus.init({
      debug: debug ? "all" : ["warn", "error"] as unknown as JanusJS.DebugLevel[],
      dependencies: Janus.useDefaultDependencies({
        adapter: (adapter as { browserDetails?: unknown; default?: unknown }).browserDetails
          ? adapter
          : (adapter as { default?: unknown }).default,
        WebSocket: TrackedWebSocket as unknown as JanusJS.Dependencies["WebSocket"],
      }),
      callback: () => resolve(),
    });
  });
  return initialized;
}

class JanusError extends Error {
  constructor(message: string, readonly code: number | null = null) {
    super(message);
    this.name = "JanusError";
  }
}

// ---- the session ------------------------------------------------------------------------------

export class MediaSession {
  #opts: MediaSessionOptions;
  #events: MediaSessionEvents;
  #access: MediaAccess | null = null;
  #janus: Janus | null = null;
  #pub: Handle | null = null;
  #sub: Handle | null = null;
  #generation = 0;
  #closed = false;
  #status: MediaStatus = "connecting";
  #rebuildAttempt = 0;
  #rebuildTimer: ReturnType<typeof setTimeout> | undefined;
  #iceTimers = new Map<string, ReturnType<typeof setTimeout>>();

  #local: LocalTracks = { audio: null, audioMuted: false, video: null, screen: null };
  #pubMids: { audio?: string; video?: string; screen?: string } = {};
  #published = false;
  #pubQueue: Promise<unknown> = Promise.resolve();
  #pubWaiters: Waiter[] = [];
  #privateId: number | null = null;

  #publishers = new Map<number, Publisher>();
  #subStreams = new Map<string, SubscriberStream>();
  #remoteTracks = new Map<string, MediaStreamTrack>();
  #subBusy = false;
  #subErrors = 0;

  constructor(opts: MediaSessionOptions) {
    this.#opts = opts;
    this.#events = opts.events;
  }

  get status(): MediaStatus {
    return this.#status;
  }

  get feedId(): number | null {
    return this.#access?.feedId ?? null;
  }

  get publisherPc(): RTCPeerConnection | null {
    return this.#pub?.webrtcStuff?.pc ?? null;
  }

  get subscriberPc(): RTCPeerConnection | null {
    return this.#sub?.webrtcStuff?.pc ?? null;
  }

  /** What each received mid carries (for stats). */
  midInfo(): Map<string, MidInfo> {
    const out = new Map<string, MidInfo>();
    for (const s of this.remoteStreams()) {
      out.set(s.mid, { participantId: s.participantId, feedId: s.feedId, source: s.source });
    }
    return out;
  }

  /** What each published mid carries (for stats). */
  publisherSources(): Map<string, StreamSource> {
    const out = new Map<string, StreamSource>();
    if (this.#pubMids.audio) out.set(this.#pubMids.audio, "audio");
    if (this.#pubMids.video) out.set(this.#pubMids.video, "camera");
    if (this.#pubMids.screen) out.set(this.#pubMids.screen, "screen");
    return out;
  }

  /** Connects, joins the room and publishes `local`. Throws when the first attempt fails. */
  async start(local: LocalTracks): Promise<void> {
    this.#local = { ...local };
    await initJanus(this.#opts.debug ?? false);
    await this.#build();
  }

  /**
   * Leaves the room and closes the session; local tracks are the caller's to stop. `serverEnded`
   * when the server already ended us (meeting ended, removed, refused): our Janus token is revoked
   * then, so nothing is sent with it (a `destroy` would be answered 403 and the client's keepalives
   * would go on being refused); the WebSocket is only closed, and Janus drops the session itself.
   */
  close(opts: { serverEnded?: boolean } = {}) {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#rebuildTimer);
    for (const t of this.#iceTimers.values()) clearTimeout(t);
    this.#teardown(!opts.serverEnded);
    this.#setStatus("closed");
  }

  /** The mids published right now (reported to the meeting socket so the server can moderate them). */
  publishedMids(): PublishedMids {
    if (!this.#published) return {};
    const { audio, video, screen } = this.#pubMids;
    // A stopped share keeps its m-line for reuse, but nothing is published on it.
    return {
      ...(audio ? { audio } : {}),
      ...(video ? { video } : {}),
      ...(screen && this.#local.screen ? { screen } : {}),
    };
  }

  /**
   * Test hook: sends live microphone audio whatever the mute state says (as a modified client
   * could), adding an audio stream when none is published. Only the SFU's moderation can stop it.
   */
  async forceAudio(track: MediaStreamTrack) {
    await this.#enqueue(async () => {
      if (!this.#pub || !this.#published) throw new JanusError("not publishing");
      track.enabled = true;
      const sender = this.#sender(this.#pubMids.audio);
      if (sender) await sender.replaceTrack(track);
      else {
        this.#local.audio = track;
        await this.#negotiate([{ type: "audio", capture: track, recv: false, dontStop: true }]);
      }
    });
  }

  /** Cuts the Janus WebSocket as a network failure would (test hook); the session rebuilds itself. */
  dropConnection() {
    for (const ws of [...janusSockets]) ws.close();
  }

  // ---- local media changes --------------------------------------------------------------------

  /** Mutes by sending no audio at all (a disabled track would still send silence packets). */
  async setAudioMuted(muted: boolean) {
    this.#local.audioMuted = muted;
    const sender = this.#sender(this.#pubMids.audio);
    if (sender) await sender.replaceTrack(muted ? null : this.#local.audio);
  }

  /** Switches the microphone (device change); keeps the mute state. */
  async setMicrophone(track: MediaStreamTrack | null) {
    this.#local.audio = track;
    await this.#enqueue(async () => {
      if (!this.#pub || !this.#published) return;
      const mid = this.#pubMids.audio;
      if (mid) {
        await this.#sender(mid)?.replaceTrack(this.#local.audioMuted ? null : track);
      } else if (track) {
        await this.#negotiate([{ type: "audio", capture: track, recv: false, dontStop: true }]);
        if (this.#local.audioMuted) await this.#sender(this.#pubMids.audio)?.replaceTrack(null);
      }
    });
  }

  /** Turns the camera on (a track) or off (null: nothing is sent, the camera can be released). */
  async setCamera(track: MediaStreamTrack | null) {
    this.#local.video = track;
    await this.#enqueue(async () => {
      if (!this.#pub) return;
      const mid = this.#pubMids.video;
      if (!track) {
        await this.#sender(mid)?.replaceTrack(null);
      } else if (mid) {
        await this.#replaceTracks([{ type: "video", mid, capture: track, recv: false, dontStop: true }]);
      } else {
        await this.#negotiate([{ type: "video", capture: track, simulcast: true, recv: false, dontStop: true }]);
      }
    });
  }

  /** Publishes a screen as a second video stream of the same PeerConnection. */
  async startScreen(track: MediaStreamTrack) {
    this.#local.screen = track;
    await this.#enqueue(async () => {
      if (!this.#pub) return;
      const mid = this.#pubMids.screen;
      if (mid) {
        // Reuse the m-line of an earlier share; the direction change needs a renegotiation.
        await this.#replaceTracks([{ type: "screen", mid, capture: track, recv: false, dontStop: true }]);
        await this.#negotiate([]);
      } else {
        await this.#negotiate([{ type: "screen", capture: track, recv: false, dontStop: true }]);
      }
    });
  }

  async stopScreen() {
    this.#local.screen = null;
    await this.#enqueue(async () => {
      const mid = this.#pubMids.screen;
      if (!this.#pub || !mid) return;
      await this.#negotiate([{ type: "screen", mid, remove: true, recv: false, capture: false }]);
    });
  }

  /** Restarts ICE on both PeerConnections (after a network change). */
  restartIce() {
    this.#restartPublisherIce();
    this.#restartSubscriberIce();
  }

  remoteStreams(): RemoteStream[] {
    const out: RemoteStream[] = [];
    for (const s of this.#subStreams.values()) {
      if (s.active === false || s.feed_id === undefined || !s.feed_mid) continue;
      const pub = this.#publishers.get(s.feed_id);
      if (!pub) continue;
      const pubStream = pub.streams?.find((p) => p.mid === s.feed_mid);
      const description = pubStream?.description ?? s.feed_description;
      const source: StreamSource = s.type === "audio" ? "audio" : description === "screen" ? "screen" : "camera";
      out.push({
        mid: s.mid,
        feedId: s.feed_id,
        participantId: pub.display ?? `feed-${s.feed_id}`,
        source,
        track: this.#remoteTracks.get(s.mid) ?? null,
      });
    }
    return out;
  }

  // ---- building and rebuilding ------------------------------------------------------------------

  async #build() {
    const generation = ++this.#generation;
    this.#access = await this.#opts.getAccess();
    if (this.#closed || generation !== this.#generation) return;
    const access = this.#access;
    const janus = await new Promise<Janus>((resolve, reject) => {
      let connected = false;
      const j: Janus = new Janus({
        server: access.janusUrl,
        token: access.janusToken,
        // Always the server's list (possibly empty): janus.js would otherwise use a public STUN server.
        iceServers: access.iceServers as RTCIceServer[],
        destroyOnUnload: true,
        success: () => {
          connected = true;
          resolve(j);
        },
        error: (err: unknown) => {
          if (!connected) reject(new JanusError(`Cannot reach the media server: ${err}`));
          else if (generation === this.#generation) this.#lost(`Janus session lost: ${err}`);
        },
      });
    });
    if (this.#closed || generation !== this.#generation) {
      janus.destroy({ cleanupHandles: true, notifyDestroyed: false });
      return;
    }
    this.#janus = janus;
    this.#pub = await this.#attach(generation, "publisher");
    const joined = await this.#request(this.#pub, this.#pubWaiters, {
      request: "join",
      ptype: "publisher",
      room: access.room,
      id: access.feedId,
      display: this.#opts.participantId,
      token: access.janusToken,
    }, (m) => m.videoroom === "joined") as VideoRoomMessage;
    this.#privateId = joined.private_id ?? null;
    this.#onPublishers(joined.publishers ?? []);
    await this.#enqueue(() => this.#publishLocal());
    this.#rebuildAttempt = 0;
    if (!this.#hasLocalMedia()) this.#setStatus("connected");
  }

  #hasLocalMedia(): boolean {
    return !!(this.#local.audio || this.#local.video || this.#local.screen);
  }

  async #publishLocal() {
    const tracks: JanusJS.TrackOption[] = [];
    const l = this.#local;
    if (l.audio) tracks.push({ type: "audio", capture: l.audio, recv: false, dontStop: true });
    if (l.video) {
      tracks.push({ type: "video", capture: l.video, simulcast: true, recv: false, dontStop: true });
      // codec is honoured by janus.js (setCodecPreferences) but missing from its TrackOption type.
      (tracks[tracks.length - 1] as JanusJS.TrackOption & { codec?: string }).codec = "vp8";
    }
    if (l.screen) tracks.push({ type: "screen", capture: l.screen, recv: false, dontStop: true });
    if (!tracks.length) return;
    await this.#negotiate(tracks);
    if (l.audioMuted) await this.#sender(this.#pubMids.audio)?.replaceTrack(null);
  }

  /** The Janus session is gone (or unusable): tear down and rebuild with backoff until it works. */
  #lost(why: string) {
    if (this.#closed) return;
    this.#events.error("internal", why);
    this.#setStatus("reconnecting");
    this.#teardown(false);
    clearTimeout(this.#rebuildTimer);
    this.#rebuildTimer = setTimeout(async () => {
      try {
        await this.#build();
      } catch (err) {
        this.#lost(`Rebuilding the media session failed: ${(err as Error).message ?? err}`);
      }
    }, backoffDelay(this.#rebuildAttempt++));
  }

  #teardown(leave: boolean) {
    this.#generation++;
    const janus = this.#janus;
    this.#janus = null;
    this.#pub = null;
    this.#sub = null;
    this.#published = false;
    this.#pubMids = {};
    this.#privateId = null;
    this.#publishers.clear();
    this.#subStreams.clear();
    this.#remoteTracks.clear();
    this.#subBusy = false;
    for (const w of this.#pubWaiters.splice(0)) w.reject(new JanusError("media session closed"));
    this.#pubQueue = Promise.resolve();
    this.#emitRemote();
    if (!janus) return;
    try {
      // A connected session is destroyed on Janus (everyone sees us leave); a lost one only locally.
      janus.destroy({ cleanupHandles: true, notifyDestroyed: false, unload: !leave });
    } catch { /* already gone */ }
  }

  #attach(generation: number, role: "publisher" | "subscriber"): Promise<Handle> {
    const janus = this.#janus!;
    return new Promise<Handle>((resolve, reject) => {
      let handle: Handle | null = null;
      const current = () => generation === this.#generation && !this.#closed;
      janus.attach({
        plugin: VIDEOROOM,
        success: (h: Handle) => {
          handle = h;
          resolve(h);
        },
        error: (err: string) => reject(new JanusError(`Cannot attach to the VideoRoom: ${err}`)),
        onmessage: (msg: JanusJS.Message, jsep?: JanusJS.JSEP) => {
          if (!current() || !handle) return;
          if (role === "publisher") this.#onPublisherMessage(handle, msg as VideoRoomMessage, jsep);
          else this.#onSubscriberMessage(handle, msg as VideoRoomMessage, jsep);
        },
        onremotetrack: (track: MediaStreamTrack, mid: string, on: boolean) => {
          if (!current() || role !== "subscriber") return;
          if (on) this.#remoteTracks.set(mid, track);
          else if (this.#remoteTracks.get(mid) === track) this.#remoteTracks.delete(mid);
          this.#emitRemote();
        },
        iceState: (state: string) => {
          if (current()) this.#onIceState(role, state);
        },
        webrtcState: (up: boolean) => {
          if (!current()) return;
          if (up && role === "publisher") this.#setStatus("connected");
          if (!up) this.#onHangup(role);
        },
      });
    });
  }

  // ---- publisher --------------------------------------------------------------------------------

  #onPublisherMessage(handle: Handle, msg: VideoRoomMessage, jsep?: JanusJS.JSEP) {
    const kind = msg.videoroom;
    if (kind === "talking" || kind === "stopped-talking") {
      const participantId = this.#participantOfFeed(msg.id);
      if (participantId) this.#events.talking(participantId, kind === "talking");
      return;
    }
    if (kind === "destroyed") {
      this.#events.removed("destroyed");
      return;
    }
    if (msg.publishers) this.#onPublishers(msg.publishers);
    if (msg.unpublished !== undefined && msg.unpublished !== "ok") this.#onFeedGone(msg.unpublished);
    if (msg.leaving !== undefined) {
      if (msg.leaving === "ok") {
        if (msg.reason === "kicked") this.#events.removed("kicked");
      } else this.#onFeedGone(msg.leaving);
    }
    // Waiters (join, publish/configure answers, errors) are matched in order.
    if (msg.error_code) {
      const w = this.#pubWaiters.shift();
      const err = new JanusError(msg.error ?? `VideoRoom error ${msg.error_code}`, msg.error_code);
      if (w) w.reject(err);
      else this.#events.error("internal", err.message);
      return;
    }
    const i = this.#pubWaiters.findIndex((w) => w.match(msg, jsep));
    if (i >= 0) {
      const [w] = this.#pubWaiters.splice(i, 1);
      if (jsep) {
        handle.handleRemoteJsep({
          jsep,
          success: () => w.resolve(msg),
          error: (e: string) => w.reject(new JanusError(`Janus's answer was refused: ${e}`)),
        });
      } else w.resolve(msg);
    }
  }

  /** Sends a plugin request and waits for the event that answers it. */
  #request(
    handle: Handle,
    waiters: Waiter[],
    message: { request: string; [k: string]: unknown },
    match: Waiter["match"],
    jsep?: JanusJS.JSEP,
  ): Promise<unknown> {
    return new Promise((resolve, reject) => {
      waiters.push({ match, resolve, reject });
      handle.send({
        message,
        jsep,
        error: (e: string) => {
          const i = waiters.findIndex((w) => w.resolve === resolve);
          if (i >= 0) waiters.splice(i, 1);
          reject(new JanusError(`Janus refused ${message.request}: ${e}`));
        },
      });
    });
  }

  /** Runs publisher changes one at a time (an offer/answer must finish before the next starts). */
  #enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#pubQueue.then(fn, fn);
    // The caller gets `run`'s rejection; the queue only needs to know it finished, to start the next.
    this.#pubQueue = run.catch(() => {});
    return run;
  }

  /** One offer/answer round on the publisher: `tracks` changes, then publish or configure. */
  async #negotiate(tracks: JanusJS.TrackOption[], iceRestart = false) {
    const handle = this.#pub;
    if (!handle) return;
    const jsep = await new Promise<JanusJS.JSEP>((resolve, reject) => {
      handle.createOffer({
        tracks,
        iceRestart,
        success: resolve,
        error: (e: Error) => reject(new JanusError(`Cannot prepare media: ${e?.message ?? e}`)),
      });
    });
    this.#readPublisherMids(handle);
    const descriptions = Object.entries(this.#pubMids)
      .filter(([kind]) => kind !== "audio")
      .map(([kind, mid]) => ({ mid, description: kind === "video" ? "camera" : "screen" }));
    const request = this.#published ? "configure" : "publish";
    await this.#request(
      handle,
      this.#pubWaiters,
      { request, descriptions },
      (_m, j) => j?.type === "answer",
      jsep,
    );
    this.#published = true;
    this.#events.published?.(this.publishedMids());
  }

  #replaceTracks(tracks: JanusJS.TrackOption[]): Promise<void> {
    const handle = this.#pub;
    if (!handle) return Promise.resolve();
    return new Promise((resolve, reject) => {
      handle.replaceTracks({
        tracks,
        success: () => resolve(),
        error: (e: string) => reject(new JanusError(`Cannot switch the device: ${e}`)),
      });
    });
  }

  /** Finds which transceiver carries which local track (mids exist once the offer is set). */
  #readPublisherMids(handle: Handle) {
    const pc = handle.webrtcStuff?.pc;
    if (!pc) return;
    const l = this.#local;
    for (const t of pc.getTransceivers()) {
      if (!t.mid) continue;
      const track = t.sender.track;
      if (track && track === l.audio) this.#pubMids.audio = t.mid;
      else if (track && track === l.video) this.#pubMids.video = t.mid;
      else if (track && track === l.screen) this.#pubMids.screen = t.mid;
    }
  }

  #sender(mid: string | undefined): RTCRtpSender | null {
    if (!mid) return null;
    const t = this.publisherPc?.getTransceivers().find((t) => t.mid === mid);
    return t?.sender ?? null;
  }

  #restartPublisherIce() {
    if (!this.#pub || !this.#published) return;
    this.#setStatus("reconnecting");
    this.#enqueue(() => this.#negotiate([], true)).catch((err) => this.#lost(`ICE restart failed: ${err.message}`));
  }

  // ---- publishers in the room and the subscription ------------------------------------------

  #participantOfFeed(feedId: number | undefined): string | null {
    if (feedId === undefined) return null;
    if (feedId === this.#access?.feedId) return this.#opts.participantId;
    return this.#publishers.get(feedId)?.display ?? null;
  }

  #onPublishers(list: Publisher[]) {
    for (const p of list) {
      if (p.id === this.#access?.feedId) continue;
      this.#publishers.set(p.id, { ...this.#publishers.get(p.id), ...p });
      if (p.talking !== undefined && p.display) this.#events.talking(p.display, p.talking);
    }
    this.#syncSubscriptions();
    this.#emitRemote();
  }

  #onFeedGone(feedId: number) {
    const p = this.#publishers.get(feedId);
    if (!p) return;
    this.#publishers.delete(feedId);
    if (p.display) this.#events.talking(p.display, false);
    // Janus drops the feed's streams from our subscription itself (and renegotiates).
    this.#emitRemote();
  }

  #syncSubscriptions() {
    if (this.#closed || this.#subBusy || !this.#janus || !this.#access) return;
    const wanted = new Map<string, { feed: number; mid: string }>();
    for (const p of this.#publishers.values()) {
      for (const s of p.streams ?? []) {
        if (s.disabled || (s.type !== "audio" && s.type !== "video")) continue;
        wanted.set(`${p.id}:${s.mid}`, { feed: p.id, mid: s.mid });
      }
    }
    const have = new Map<string, { feed: number; mid: string }>();
    for (const s of this.#subStreams.values()) {
      if (s.active === false || s.feed_id === undefined || !s.feed_mid) continue;
      have.set(`${s.feed_id}:${s.feed_mid}`, { feed: s.feed_id, mid: s.feed_mid });
    }
    const subscribe = [...wanted].filter(([k]) => !have.has(k)).map(([, v]) => v);
    // Streams of feeds that left are removed by Janus; we only drop streams a publisher disabled.
    const unsubscribe = [...have].filter(([k, v]) => !wanted.has(k) && this.#publishers.has(v.feed)).map(([, v]) => ({
      feed: v.feed,
      mid: v.mid,
    }));
    if (!subscribe.length && !unsubscribe.length) return;
    this.#subBusy = true;
    const generation = this.#generation;
    const access = this.#access;
    (async () => {
      if (!this.#sub) {
        if (!subscribe.length) {
          this.#subBusy = false;
          return;
        }
        this.#sub = await this.#attach(generation, "subscriber");
        if (generation !== this.#generation) return;
        this.#sub.send({
          message: {
            request: "join",
            ptype: "subscriber",
            room: access.room,
            private_id: this.#privateId ?? undefined,
            streams: subscribe,
            token: access.janusToken,
          },
        });
      } else {
        this.#sub.send({
          message: {
            request: "update",
            ...(subscribe.length ? { subscribe } : {}),
            ...(unsubscribe.length ? { unsubscribe } : {}),
          },
        });
      }
    })().catch((err) => {
      if (generation !== this.#generation) return;
      this.#subBusy = false;
      this.#events.error("internal", `Subscribing failed: ${err.message ?? err}`);
    });
  }

  #onSubscriberMessage(handle: Handle, msg: VideoRoomMessage, jsep?: JanusJS.JSEP) {
    if (msg.error_code) {
      this.#subBusy = false;
      this.#events.error("internal", `Subscription error ${msg.error_code}: ${msg.error}`);
      // Try again with fresh state, but not in a tight loop.
      if (++this.#subErrors <= 5) setTimeout(() => this.#syncSubscriptions(), 500 * this.#subErrors);
      return;
    }
    if ((msg.videoroom === "attached" || msg.videoroom === "updated") && msg.streams) {
      this.#subStreams = new Map(msg.streams.filter((s) => s.mid).map((s) => [s.mid, s]));
      this.#emitRemote();
    }
    if (jsep) {
      handle.createAnswer({
        jsep,
        tracks: [],
        success: (answer: JanusJS.JSEP) => {
          handle.send({ message: { request: "start" }, jsep: answer });
        },
        error: (e: string) => {
          this.#subBusy = false;
          this.#events.error("internal", `Cannot answer the subscription offer: ${e}`);
        },
      });
      return;
    }
    if (msg.started === "ok" || msg.videoroom === "updated") {
      this.#subBusy = false;
      this.#subErrors = 0;
      this.#syncSubscriptions();
    }
  }

  #restartSubscriberIce() {
    this.#sub?.send({ message: { request: "configure", restart: true } });
  }

  #onIceState(role: "publisher" | "subscriber", state: string) {
    clearTimeout(this.#iceTimers.get(role));
    const restart = () => role === "publisher" ? this.#restartPublisherIce() : this.#restartSubscriberIce();
    if (state === "failed") restart();
    else if (state === "disconnected") {
      // Often recovers by itself within a few seconds (Wi-Fi blip); restart only if it does not.
      this.#iceTimers.set(role, setTimeout(restart, 3000));
    } else if ((state === "connected" || state === "completed") && role === "publisher") {
      this.#setStatus("connected");
    }
  }

  /** Janus hung up a PeerConnection (e.g. ICE failed on its side): publish or subscribe afresh. */
  #onHangup(role: "publisher" | "subscriber") {
    if (this.#closed) return;
    if (role === "publisher") {
      if (!this.#published) return;
      this.#published = false;
      this.#pubMids = {};
      this.#setStatus("reconnecting");
      this.#enqueue(() => this.#publishLocal()).catch((err) => this.#lost(`Republishing failed: ${err.message}`));
    } else {
      const sub = this.#sub;
      this.#sub = null;
      this.#subStreams.clear();
      this.#remoteTracks.clear();
      this.#subBusy = false;
      try {
        sub?.detach();
      } catch { /* gone */ }
      this.#emitRemote();
      this.#syncSubscriptions();
    }
  }

  #emitRemote() {
    this.#events.remote(this.remoteStreams());
  }

  #setStatus(status: MediaStatus) {
    if (this.#status === status || (this.#status === "closed")) return;
    this.#status = status;
    this.#events.status(status);
  }
}

/** Whether joining with the same feed id failed because the old publisher is still in the room. */
export function isFeedTaken(err: unknown): boolean {
  return err instanceof JanusError && err.code === ERR_ID_EXISTS;
}

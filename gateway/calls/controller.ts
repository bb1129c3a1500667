// Call control: glues the SIP endpoint, one RtpRelay per call, the per-meeting SipBridge and the IVR
// prompts to meetings, which the web app owns (docs/sip-integration.md). One state machine per call:
//
//   dial-in:  offered → ivr? → waiting? → in-bridge → ended
//   dial-out: dialing → in-bridge → ended
//
// Every way out (BYE either side, CANCEL, removal by the web, the meeting ending, failures) goes
// through #end, which closes the relay, takes the caller out of the bridge and tells the web app.

import { logger } from "../../lib/common/log.ts";
import type { SipBridges } from "../bridge/bridge.ts";
import type { MeetingVideos } from "../bridge/room_video.ts";
import { type CallPrompts, holdMusic, type PromptName, PromptPlayer, type PromptSound } from "../ivr/prompts.ts";
import { DEFAULT_LOCALE, isLocale, type Locale } from "../../lib/i18n/locales.ts";
import { type RelayOptions, type RelayStats, RtpRelay, type UdpAddress } from "../rtp/relay.ts";
import { VideoRelay, type VideoRelayStats } from "../rtp/video.ts";
import type { SipEndpoint } from "../sip/endpoint.ts";
import type { IncomingCall } from "../sip/incoming_call.ts";
import type { OutgoingCall } from "../sip/outgoing_call.ts";
import { parseUri, type Sdp } from "../sip/message.ts";
import { type DialOutStatus, type ResolveResult, type WebClient, WebError } from "../web_client.ts";
import { DigitQueue } from "./digits.ts";
import { RtpPortPool, type SocketPair } from "./ports.ts";
import {
  answerSdp,
  callerDisplayName,
  maskNumber,
  negotiate,
  type Negotiated,
  type NegotiatedVideo,
  negotiateVideo,
  offerSdp,
  parseDialString,
} from "./sdp.ts";
import { randomHex } from "../../lib/common/random.ts";
import { capBroken, IVR_LIMITS, type IvrLimits } from "./limits.ts";
import { addressAllowed } from "../sip/access.ts";
import { transitionTable } from "../../lib/common/state.ts";

const log = logger("calls");

export type CallPhase = "offered" | "dialing" | "ivr" | "waiting" | "in-bridge" | "ended";

const TRANSITIONS = transitionTable<CallPhase>("call", {
  offered: ["ivr", "waiting", "in-bridge", "ended"],
  dialing: ["in-bridge", "ended"],
  ivr: ["waiting", "in-bridge", "ended"],
  waiting: ["in-bridge", "ended"],
  "in-bridge": ["ended"],
  ended: [],
});

/** A request the HTTP API turns into a status (404 unknown call, 409 wrong state, 503 SIP off). */
export class CallProblem extends Error {
  constructor(readonly status: 400 | 404 | 409 | 503, message: string) {
    super(message);
  }
}

export interface CallControllerOptions {
  endpoint: SipEndpoint | null;
  web: WebClient;
  bridges: SipBridges;
  /** Room systems' video (null: calls are audio only and video m-lines are refused). */
  videos?: MeetingVideos | null;
  /** ffmpeg, when H.264-only room systems get the speaker's VP8 transcoded (null: they get no video). */
  transcoder?: string | null;
  /**
   * Makes sure the meeting's VideoRoom room exists (idempotent): the bridge's "Phone participants"
   * feed lives there, and a phone may be the first one in the meeting.
   */
  ensureRoom: (meetingId: string, title: string) => Promise<unknown>;
  /** Address in our SDP (SIP_ADVERTISED_HOST). */
  advertisedHost: string;
  /** Where the caller-facing relay sockets bind (SIP_HOST). */
  relayBindHost: string;
  /** Where the Janus-facing relay sockets bind (Janus is local). */
  janusBindHost?: string;
  rtpPortRange: [number, number];
  did: string;
  outboundProxy: string;
  /** The phone menu's prompts in every language (null: callers hear silence where prompts would be). */
  prompts: CallPrompts | null;
  /**
   * The install's phone language (SIP_LANGUAGE): what a caller hears until the meeting is known,
   * and after when the web app names no language for the meeting (default: the prompts' own).
   */
  language?: Locale;
  /** IVR timing (tests shorten it). */
  ivr?: { tries?: number; firstDigitMs?: number; nextDigitMs?: number };
  /** Caps on callers not yet let in (gateway/calls/limits.ts; defaults IVR_LIMITS). */
  ivrLimits?: IvrLimits;
  /**
   * Trunks (SIP_TRUNK_IPS): one address carries many people's calls, so the per-source cap does not
   * apply to them (the overall one does).
   */
  trunkSources?: string[];
  speakingDebounceMs?: number;
  dialOutNoAnswerMs?: number;
  /** Whether the meeting is being recorded now: a caller entering it is told first. */
  isRecording?: (meetingId: string) => boolean;
}

export interface CallInfo {
  callId: string;
  direction: "in" | "out";
  phase: CallPhase;
  meetingId: string | null;
  participantId: string | null;
  displayName: string;
  number: string;
  sipCallId: string | null;
  hostMuted: boolean;
  codec: string | null;
  /** Digits received (RFC 4733 and INFO), for diagnostics. */
  digits: string;
  relay: RelayStats | null;
  /** A room system's video: codec, whether the speaker goes back to it, relay counters. */
  video: {
    codec: string;
    sendsToCaller: boolean;
    feedId: number | null;
    speakerFeedId: number | null;
    relay: VideoRelayStats;
  } | null;
  /** Milliseconds from the INVITE to our 200 (dial-in). */
  setupMs: number | null;
  /** IVR progress: tries used so far and what it asks for now. */
  ivr: { attempt: number; asking: "meeting-id" | "passcode" | null } | null;
}

class Call {
  readonly id = `c${randomHex(10)}`;
  phase: CallPhase;
  meetingId: string | null = null;
  title = "";
  /**
   * The language the caller hears: the install's until the meeting is known, then the meeting's
   * (the web app's resolve answer names it).
   */
  locale: Locale;
  participantId: string | null = null;
  /** The web app knows this call (POST /internal/sip/calls answered): it must hear the end. */
  registered = false;
  relay: RtpRelay | null = null;
  video: VideoRelay | null = null;
  videoNegotiated: NegotiatedVideo | null = null;
  player: PromptPlayer | null = null;
  readonly digits = new DigitQueue();
  hostMuted = false;
  /** addCaller succeeded: removeCaller is due at the end. */
  joined = false;
  /** The web admitted the caller before we knew they would wait. */
  admitRequested = false;
  speakingNow = false;
  speakingSent = false;
  speakingTimer: ReturnType<typeof setTimeout> | undefined;
  setupMs: number | null = null;
  ivr: CallInfo["ivr"] = null;
  ending: Promise<void> | null = null;
  /** The IP the caller's SIP came from (dial-in): what caps and the passcode guard count by. */
  source = "";
  /** Resolves when the call ends (waits that must stop with it). */
  readonly over: Promise<void>;
  #over!: () => void;

  constructor(
    readonly direction: "in" | "out",
    readonly sip: IncomingCall | OutgoingCall,
    public displayName: string,
    public number: string,
    locale: Locale,
  ) {
    this.phase = direction === "in" ? "offered" : "dialing";
    this.locale = locale;
    this.over = new Promise((r) => this.#over = r);
  }

  to(next: CallPhase) {
    TRANSITIONS.check(this.phase, next, this.id);
    log.info("call phase", { callId: this.id, from: this.phase, to: next, meetingId: this.meetingId });
    this.phase = next;
    if (next === "ended") this.#over();
  }

  get ended(): boolean {
    return this.phase === "ended";
  }
}

/** SIP status for a refused resolve (contract: 404/403/486/410 → 404/403/486/404; 429 rate-limited → 403). */
function sipStatusFor(status: number): number {
  if (status === 410) return 404;
  if (status === 429) return 403;
  if (status === 403 || status === 404 || status === 486) return status;
  return 500;
}

/** A dial-in not let in yet: being resolved, or in the IVR (what the IVR caps count). */
function unauthenticated(call: Call): boolean {
  return call.direction === "in" && (call.phase === "offered" || call.phase === "ivr");
}

/** A passcode the web app said to try again after `waitMs`. */
interface PendingTry {
  passcode: string;
  waitMs: number;
}

/** A dial-in's media made ready while the web app is asked about the call. */
interface PreparedMedia {
  relay: RtpRelay;
  /** The caller-facing address for our SDP. */
  local: UdpAddress;
  videoPorts: { rtp: Deno.DatagramConn; rtcp: Deno.DatagramConn | null } | null;
}

type RelayConstructor = new (options: RelayOptions, caller: Deno.DatagramConn, janus: Deno.DatagramConn) => RtpRelay;

export class CallController {
  #options: CallControllerOptions;
  #calls = new Map<string, Call>();
  /** Dial-ins take their relay sockets ready-bound (bound while the previous call is going on). */
  #ports: RtpPortPool;

  constructor(options: CallControllerOptions) {
    this.#options = options;
    this.#ports = new RtpPortPool({
      callerHost: options.relayBindHost,
      janusHost: options.janusBindHost ?? "127.0.0.1",
      range: options.rtpPortRange,
      size: options.endpoint ? 2 : 0,
    });
    if (options.endpoint) this.#ports.giveBack(this.#ports.take()); // the first pair, and a refill
    options.endpoint?.onInvite((call) => this.#onInvite(call));
  }

  /** The install's phone language. */
  get #language(): Locale {
    return this.#options.language ?? this.#options.prompts?.install ?? DEFAULT_LOCALE;
  }

  /**
   * A resolve answer decides what the caller hears from now on: the meeting's language (the install's
   * when the web app names none, or one this gateway does not speak); no meeting, the install's.
   */
  #hearMeetingLanguage(call: Call, r: ResolveResult) {
    const noMeeting = !r.ok && (r.status === 404 || r.status === 410);
    call.locale = !noMeeting && isLocale(r.locale) ? r.locale : this.#language;
  }

  get size(): number {
    return this.#calls.size;
  }

  list(meetingId?: string): CallInfo[] {
    return [...this.#calls.values()].filter((c) => !meetingId || c.meetingId === meetingId).map((c) => this.#info(c));
  }

  get(callId: string): CallInfo {
    return this.#info(this.#call(callId));
  }

  #info(c: Call): CallInfo {
    return {
      callId: c.id,
      direction: c.direction,
      phase: c.phase,
      meetingId: c.meetingId,
      participantId: c.participantId,
      displayName: c.displayName,
      number: c.number,
      sipCallId: c.sip.callId,
      hostMuted: c.hostMuted,
      codec: c.relay?.codec ?? null,
      digits: c.digits.history.join(""),
      relay: c.relay?.stats() ?? null,
      video: c.video
        ? {
          codec: c.video.codec,
          sendsToCaller: c.video.sendsToCaller,
          feedId: c.meetingId ? this.#options.videos?.get(c.meetingId)?.feedOf(c.id) ?? null : null,
          speakerFeedId: c.meetingId ? this.#options.videos?.get(c.meetingId)?.forwardedTo(c.id) ?? null : null,
          relay: c.video.stats(),
        }
        : null,
      setupMs: c.setupMs,
      ivr: c.ivr ? { ...c.ivr } : null,
    };
  }

  #call(callId: string): Call {
    const c = this.#calls.get(callId);
    if (!c || c.ended) throw new CallProblem(404, "no such call");
    return c;
  }

  // --- relays ---------------------------------------------------------------------------------------

  /** A caller-facing UDP socket on a free port of SIP_RTP_PORT_RANGE (random start, then upward). */
  #bindCallerSocket(): Deno.DatagramConn {
    return this.#ports.bindCaller();
  }

  /**
   * RtpRelay.open binds port 0; SIP_RTP_PORT_RANGE needs our own caller socket (and dial-outs bind it
   * before the codec is known), so the relay is built around sockets we bound. The test checks ports.
   */
  #relay(caller: Deno.DatagramConn, options: RelayOptions): RtpRelay {
    let janus: Deno.DatagramConn;
    try {
      janus = this.#ports.bindJanus();
    } catch (err) {
      caller.close();
      throw err;
    }
    return this.#relayOn({ caller, janus }, options);
  }

  #relayOn(sockets: SocketPair, options: RelayOptions): RtpRelay {
    return new (RtpRelay as unknown as RelayConstructor)(options, sockets.caller, sockets.janus);
  }

  /**
   * An even RTP port and the next one for RTCP (none with rtcp-mux) from SIP_RTP_PORT_RANGE, for a
   * room system's video. Null when the range has no free pair (the call goes on audio only).
   */
  #bindVideoPair(callId: string, rtcpMux = false): { rtp: Deno.DatagramConn; rtcp: Deno.DatagramConn | null } | null {
    const [lo, hi] = this.#options.rtpPortRange;
    const first = lo % 2 ? lo + 1 : lo;
    const pairs = Math.floor((hi - first) / 2);
    const start = Math.floor(Math.random() * Math.max(pairs, 1));
    const bind = (port: number) =>
      Deno.listenDatagram({ transport: "udp", hostname: this.#options.relayBindHost, port });
    for (let i = 0; i < pairs; i++) {
      const port = first + 2 * ((start + i) % pairs);
      let rtp: Deno.DatagramConn | null = null;
      try {
        rtp = bind(port);
        return { rtp, rtcp: rtcpMux ? null : bind(port + 1) };
      } catch (err) {
        rtp?.close();
        if (!(err instanceof Deno.errors.AddrInUse)) {
          log.warn("no video ports", { callId, error: (err as Error).message });
          return null;
        }
      }
    }
    return null;
  }

  /** A room system's video relay on bound sockets, for what was negotiated. */
  #videoRelay(
    call: Call,
    v: NegotiatedVideo,
    sockets: { rtp: Deno.DatagramConn; rtcp: Deno.DatagramConn | null },
  ): VideoRelay {
    return new VideoRelay(
      {
        callId: call.id,
        codec: v.codec,
        payloadType: v.payloadType,
        callerSdpAddress: v.remote,
        callerRtcpAddress: v.rtcp,
        rtcpMux: v.rtcpMux && sockets.rtcp === null,
        sendToCaller: v.send,
        feedback: { pli: v.feedback.pli, fir: v.feedback.fir },
        transcodeWith: v.codec === "h264" && v.send ? this.#options.transcoder ?? null : null,
      },
      sockets.rtp,
      sockets.rtcp,
      this.#options.janusBindHost ?? "127.0.0.1",
    );
  }

  /** Hooks a room system's key frame requests both ways (SIP INFO picture_fast_update). */
  #attachVideo(call: Call, v: NegotiatedVideo, relay: VideoRelay) {
    call.video = relay;
    call.videoNegotiated = v;
    const sip = call.sip;
    sip.on("keyframe", () => relay.keyframeFromCaller());
    // Room systems without RTCP feedback in their SDP take key frame requests as SIP INFO.
    if (!v.feedback.pli && !v.feedback.fir) relay.onKeyframeRequest(() => sip.requestKeyframe());
  }

  #localAddress(caller: Deno.DatagramConn): UdpAddress {
    return { host: this.#options.advertisedHost, port: (caller.addr as Deno.NetAddr).port };
  }

  #attachRelay(call: Call, relay: RtpRelay) {
    call.relay = relay;
    relay.on("digit", (e) => call.digits.push(e.digit));
    relay.on("speaking", (e) => {
      call.speakingNow = e.speaking;
      this.#scheduleSpeaking(call);
      // A room system that talks can be the speaker for the other room systems (not while host-muted).
      // (MeetingVideo ignores calls whose camera is not in yet.)
      if (call.video && call.meetingId) {
        const talking = e.speaking && !call.hostMuted;
        void this.#options.videos?.get(call.meetingId)?.callTalking(call.id, talking).catch(() => {});
      }
    });
  }

  // --- dial-in ---------------------------------------------------------------------------------------

  async #onInvite(sip: IncomingCall) {
    const invitedAt = performance.now();
    const call = new Call(
      "in",
      sip,
      callerDisplayName(sip.from.displayName, sip.from.user),
      maskNumber(sip.from.user),
      this.#language,
    );
    call.source = sip.source.ip;
    const limits = this.#options.ivrLimits ?? IVR_LIMITS;
    const waiting = [...this.#calls.values()].filter(unauthenticated).map((c) => c.source);
    const trunk = addressAllowed(call.source, this.#options.trunkSources ?? []);
    const broken = capBroken(waiting, call.source, trunk ? { ...limits, perSource: Infinity } : limits);
    this.#calls.set(call.id, call);
    sip.on("ended", (reason) => void this.#end(call, reason === "bye" ? "hangup" : reason, "sip"));
    sip.on("dtmf", (digit) => call.digits.push(digit));
    try {
      if (broken) {
        log.warn("call refused", { callId: call.id, status: broken.status, why: broken.why, source: call.source });
        if (sip.state === "offered" || sip.state === "ringing") {
          sip.reject(broken.status, undefined, { headers: [["Retry-After", String(limits.retryAfterSeconds)]] });
        }
        return;
      }
      const target = parseDialString(sip.requestUri.user, this.#options.did);
      if (!target) return this.#reject(call, 404, "unknown number");
      const offer = sip.remoteSdp;
      let chosen: Negotiated | null = null;
      let sdp: string;
      let ivrNeeded: boolean;
      if (offer) {
        chosen = negotiate(offer, { allowOpus: target.kind !== "ivr" });
        if (!chosen) return this.#rejectCodecs(call, "no common codec");
      }
      // The web app's answer is the one wait before our 200: it is asked first, and the media side
      // is made ready while the answer is on its way (relay on pool sockets, video ports). None of
      // it reaches the caller unless the web app lets them in; a refusal closes it unused.
      const resolving = target.kind === "meeting"
        ? this.#options.web.resolve(target.meetingId, target.passcode, call.source)
        : null;
      resolving?.catch(() => {}); // awaited below; keeps a rejection during the set-up from going unhandled
      const videoOffer = offer && chosen && this.#options.videos
        ? negotiateVideo(offer, { transcodeH264: !!this.#options.transcoder })
        : null;
      let media: PreparedMedia | null = null;
      /** A passcode from the Request-URI the web app asked us to try again after a wait. */
      let pending: PendingTry | null = null;
      try {
        media = this.#prepareMedia(call, chosen, videoOffer);
        let needIvr = target.kind === "ivr";
        if (resolving && target.kind === "meeting") {
          const r = await resolving;
          if (call.ended) return;
          if (!r.ok) {
            const askPasscode = r.status === 403 && r.error === "bad-passcode" && target.passcode === null;
            // Too many wrong passcodes from this address lately: answered, told to wait, tried again.
            const wait = r.error === "slow-down" && target.passcode !== null;
            if (!askPasscode && !wait) return this.#reject(call, sipStatusFor(r.status), r.error);
            if (wait) pending = { passcode: target.passcode!, waitMs: r.retryAfterMs ?? 1000 };
            needIvr = true;
          }
          call.meetingId = target.meetingId;
          this.#hearMeetingLanguage(call, r);
          if (r.ok) call.title = r.title;
          if (needIvr && offer && chosen?.codec === "opus") {
            chosen = negotiate(offer, { allowOpus: false }); // prompts are G.711
            if (!chosen) return this.#rejectCodecs(call, "no G.711 for the passcode prompt");
            const opus = media;
            media = null;
            await this.#discardMedia(opus);
            if (call.ended) return;
            media = this.#prepareMedia(call, chosen, videoOffer);
          }
        }
        this.#attachRelay(call, media.relay);
        const videoPorts = media.videoPorts;
        media.videoPorts = null;
        const video = videoOffer && videoPorts ? this.#videoRelay(call, videoOffer, videoPorts) : null;
        if (videoOffer && video) this.#attachVideo(call, videoOffer, video);
        const local = media.local;
        media = null; // the call's now: #end closes it
        sdp = offer && chosen
          ? answerSdp(
            offer,
            chosen,
            local,
            videoOffer && video
              ? { chosen: videoOffer, local: { ...local, port: video.callerAddress.port } }
              : undefined,
          )
          : offerSdp(local, ["pcmu"]);
        ivrNeeded = needIvr;
      } finally {
        if (media) await this.#discardMedia(media);
      }
      const acked = sip.answer(sdp);
      call.setupMs = performance.now() - invitedAt;
      try {
        await acked;
      } catch {
        return; // ended before the ACK; the ended listener cleans up
      }
      if (call.ended) return;
      let meetingId = call.meetingId;
      if (ivrNeeded) {
        meetingId = await this.#ivr(call, call.meetingId, pending);
        if (!meetingId || call.ended) return;
        call.meetingId = meetingId;
      }
      await this.#register(call, meetingId!);
    } catch (err) {
      log.error("dial-in failed", { callId: call.id, error: (err as Error).message });
      if (!call.ended) {
        if (sip.state === "offered" || sip.state === "ringing") this.#reject(call, 503, "service unavailable");
        else await this.#end(call, "failed", "local");
      }
    }
  }

  /**
   * A dial-in's relay on pool sockets for what was negotiated (PCMU toward the IVR for a late offer),
   * and its room system's video ports when it offered video; nothing attached to the call yet.
   */
  #prepareMedia(call: Call, chosen: Negotiated | null, videoOffer: NegotiatedVideo | null): PreparedMedia {
    const sockets = this.#ports.take();
    const relayOptions: RelayOptions = chosen
      ? {
        callId: call.id,
        codec: chosen.codec,
        payloadType: chosen.payloadType,
        telephoneEventPayloadType: chosen.telephoneEvent,
        callerSdpAddress: chosen.remote,
      }
      : { callId: call.id, codec: "pcmu", payloadType: 0, telephoneEventPayloadType: 101, callerSdpAddress: null };
    const local = this.#localAddress(sockets.caller);
    const relay = this.#relayOn(sockets, relayOptions);
    let videoPorts = null;
    try {
      videoPorts = videoOffer?.remote ? this.#bindVideoPair(call.id, videoOffer.rtcpMux) : null;
    } catch (err) {
      void relay.close();
      throw err;
    }
    return { relay, local, videoPorts };
  }

  /** Media prepared for a call that was refused (or re-negotiated) before its port was advertised. */
  async #discardMedia(media: PreparedMedia) {
    media.videoPorts?.rtp.close();
    media.videoPorts?.rtcp?.close();
    await media.relay.close();
  }

  /**
   * 488 for an offer without a codec we take (e.g. G.722 only): a Warning 305 and, as RFC 3261
   * §21.4.26 allows, an SDP of what we do take (PCMU first), so the caller can offer again.
   */
  #rejectCodecs(call: Call, why: string) {
    log.info("call refused", { callId: call.id, status: 488, why });
    const sip = call.sip as IncomingCall;
    if (sip.state !== "offered" && sip.state !== "ringing") return;
    const host = this.#options.advertisedHost;
    sip.reject(488, undefined, {
      headers: [["Warning", `305 ${host} "Incompatible media format: PCMU, PCMA or Opus"`]],
      body: offerSdp({ host, port: 0 }),
    });
  }

  #reject(call: Call, status: number, why: string) {
    log.info("call refused", { callId: call.id, status, why });
    const sip = call.sip as IncomingCall;
    if (sip.state === "offered" || sip.state === "ringing") sip.reject(status);
    // reject() ends the SIP call, whose "ended" listener runs #end.
  }

  /** POST /internal/sip/calls, then the lobby or the bridge. */
  async #register(call: Call, meetingId: string) {
    const res = await this.#options.web.createCall({
      meetingId,
      callId: call.id,
      displayName: call.displayName,
      number: call.number,
    });
    call.participantId = res.participantId;
    call.registered = true;
    if (call.ended) {
      await this.#options.web.callEnded(call.id, "hangup").catch(() => {});
      return;
    }
    if (call.direction === "out" || res.state === "admitted" || call.admitRequested) {
      await this.#join(call);
      return;
    }
    call.to("waiting");
    void this.#holdMusic(call);
  }

  async #holdMusic(call: Call) {
    if (await this.#playPrompt(call, "lobby") !== "finished") return;
    if (call.phase !== "waiting" || !call.relay || call.relay.codec === "opus") return;
    call.player = new PromptPlayer(call.relay, holdMusic(call.relay.codec), { loop: true });
  }

  async #join(call: Call) {
    if (call.ended || call.phase === "in-bridge") return;
    call.to("in-bridge");
    call.player?.stop();
    call.player = null;
    const bridge = this.#options.bridges.for(call.meetingId!);
    try {
      await this.#options.ensureRoom(call.meetingId!, call.title);
      await bridge.addCaller(call.id, call.relay!, { display: call.displayName, muted: call.hostMuted });
      call.joined = true;
    } catch (err) {
      log.error("joining the bridge failed", { callId: call.id, error: (err as Error).message });
      await this.#end(call, "bridge-failed", "local");
      return;
    }
    if (call.ended) {
      // Ended while joining: #end saw joined=false, so take the caller out here.
      await bridge.removeCaller(call.id).catch(() => {});
      return;
    }
    this.#scheduleSpeaking(call);
    if (this.#options.isRecording?.(call.meetingId!)) void this.#playPrompt(call, "recordingOn");
    if (call.video) await this.#joinVideo(call);
  }

  /** A room system's camera into the meeting (audio goes on without it when this fails). */
  async #joinVideo(call: Call) {
    const videos = this.#options.videos;
    if (!videos || !call.video || !call.participantId) return;
    try {
      const meetingVideo = videos.for(call.meetingId!);
      await meetingVideo.add(call.id, call.video, call.participantId);
      // Already talking when the camera came in (the relay only reports changes).
      if (call.speakingNow && !call.hostMuted) void meetingVideo.callTalking(call.id, true).catch(() => {});
    } catch (err) {
      log.error("room system video failed", { callId: call.id, error: (err as Error).message });
      return;
    }
    if (call.ended) {
      await videos.get(call.meetingId!)?.remove(call.id).catch(() => {});
      return;
    }
    await this.#options.web.callState(call.id, { video: true }).catch((err) => {
      log.warn("video state update failed", { callId: call.id, error: (err as Error).message });
    });
  }

  // --- IVR -------------------------------------------------------------------------------------------

  /**
   * A prompt's sound in the caller's language, or null (no prompts, an Opus call, the call ended or
   * moved on while it was looked up: a lobby prompt must not start once the caller is in).
   */
  async #sound(call: Call, name: PromptName): Promise<PromptSound | null> {
    const phase = call.phase;
    const sound = await this.#options.prompts?.sound(call.locale, name) ?? null;
    return call.phase === phase && !call.ended ? sound : null;
  }

  /** Starts playing `sound` to the caller (stopping what played before); null when it cannot play. */
  #play(call: Call, sound: PromptSound | null): PromptPlayer | null {
    const relay = call.relay;
    if (!relay || relay.state !== "open" || relay.codec === "opus" || !sound || call.ended) return null;
    call.player?.stop();
    const player = new PromptPlayer(relay, relay.codec === "pcmu" ? sound.pcmu : sound.pcma);
    call.player = player;
    return player;
  }

  /** Plays a prompt; resolves when it finished or was stopped (at once without audio). */
  async #playPrompt(call: Call, name: PromptName): Promise<"finished" | "stopped" | "none"> {
    const player = this.#play(call, await this.#sound(call, name));
    if (!player) return "none";
    return await player.done === "finished" ? "finished" : "stopped";
  }

  /** Asks for one entry: the prompt plays until the first digit, then digits up to `#`. */
  async #ask(call: Call, name: PromptName): Promise<string> {
    const ivr = this.#options.ivr ?? {};
    const sound = await this.#sound(call, name);
    const promptMs = ((sound?.pcmu.length ?? 0) / 8000) * 1000;
    const player = this.#play(call, sound);
    const entry = await call.digits.collect({
      firstTimeoutMs: promptMs + (ivr.firstDigitMs ?? 10_000),
      nextTimeoutMs: ivr.nextDigitMs ?? 5_000,
      onDigit: () => player?.stop(),
    });
    player?.stop();
    return entry.digits;
  }

  /**
   * Plays "please wait" and waits `ms` (the web app's slow-down), or until the call ends. True when
   * the call is still up.
   */
  async #waitBeforeTry(call: Call, ms: number): Promise<boolean> {
    const player = this.#play(call, await this.#sound(call, "pleaseWait"));
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([call.over, new Promise((r) => timer = setTimeout(r, ms))]);
    clearTimeout(timer);
    player?.stop();
    return !call.ended;
  }

  /** A passcode try: resolved, and while the web app says slow-down, waited for and tried again. */
  async #tryPasscode(call: Call, meetingId: string, passcode: string, waitMs: number | null) {
    for (;;) {
      if (waitMs !== null && !(await this.#waitBeforeTry(call, waitMs))) return null;
      const r = await this.#options.web.resolve(meetingId, passcode, call.source);
      if (call.ended) return null;
      this.#hearMeetingLanguage(call, r);
      if (r.ok || r.error !== "slow-down") return r;
      log.info("passcode try must wait", { callId: call.id, waitMs: r.retryAfterMs });
      waitMs = r.retryAfterMs ?? 1000;
    }
  }

  /**
   * The IVR: meeting ID (unless known) and passcode, three tries; null when the caller did not get in.
   * The whole stage is bounded (IvrLimits.timeoutMs): a caller without a right passcode by then gets
   * a BYE. `pending`: a passcode from the Request-URI to try first, after the wait the web app asked for.
   */
  async #ivr(call: Call, knownMeetingId: string | null, pending: PendingTry | null = null): Promise<string | null> {
    const timeoutMs = (this.#options.ivrLimits ?? IVR_LIMITS).timeoutMs;
    const timer = setTimeout(() => {
      if (call.phase !== "ivr") return;
      log.info("IVR timed out", { callId: call.id, timeoutMs });
      void this.#end(call, "ivr-timeout", "local");
    }, timeoutMs);
    try {
      return await this.#ivrSteps(call, knownMeetingId, pending);
    } finally {
      clearTimeout(timer);
    }
  }

  async #ivrSteps(call: Call, knownMeetingId: string | null, pending: PendingTry | null): Promise<string | null> {
    call.to("ivr");
    const tries = this.#options.ivr?.tries ?? 3;
    let meetingId = knownMeetingId;
    const ivr = call.ivr = { attempt: 0, asking: null as "meeting-id" | "passcode" | null };
    // A failed entry drops what was typed before the failure was known (stale input); digits typed
    // during the error prompt count for the next try.
    const failed = (prompt: PromptName) => {
      call.digits.flush();
      ivr.attempt++;
      ivr.asking = null;
      return this.#playPrompt(call, prompt);
    };
    while (ivr.attempt < tries && !call.ended) {
      if (!meetingId) {
        ivr.asking = "meeting-id";
        const entered = await this.#ask(call, "welcome");
        if (call.ended) return null;
        if (!/^\d{10}$/.test(entered)) {
          await failed("notFound");
          continue;
        }
        const r = await this.#options.web.resolve(entered, null, call.source);
        if (call.ended) return null;
        // From here on the caller hears the meeting's language (passcode, lobby, locked…).
        this.#hearMeetingLanguage(call, r);
        if (r.ok) {
          call.title = r.title;
          return entered;
        }
        if (r.status === 404 || r.status === 410) {
          await failed("notFound");
          continue;
        }
        if (!(r.status === 403 && r.error === "bad-passcode")) return await this.#goodbye(call, "locked");
        meetingId = entered;
      }
      ivr.asking = "passcode";
      const passcode = pending?.passcode ?? await this.#ask(call, "passcode");
      if (call.ended) return null;
      const r = await this.#tryPasscode(call, meetingId, passcode, pending?.waitMs ?? null);
      pending = null;
      if (!r || call.ended) return null;
      if (r.ok) {
        call.title = r.title;
        return meetingId;
      }
      if (r.status === 403 && r.error === "bad-passcode") {
        await failed("wrongPasscode");
        continue;
      }
      if (r.status === 404 || r.status === 410) {
        meetingId = knownMeetingId;
        await failed("notFound");
        continue;
      }
      return await this.#goodbye(call, "locked");
    }
    return await this.#goodbye(call, "goodbye");
  }

  async #goodbye(call: Call, prompt: PromptName): Promise<null> {
    await this.#playPrompt(call, prompt);
    await this.#end(call, "ivr-failed", "local");
    return null;
  }

  // --- speaking ----------------------------------------------------------------------------------------

  /** Speaking changes go to the web at most once per debounce window; suppressed while host-muted. */
  #scheduleSpeaking(call: Call) {
    if (call.speakingTimer !== undefined || !call.registered || call.phase !== "in-bridge") return;
    call.speakingTimer = setTimeout(() => {
      call.speakingTimer = undefined;
      if (call.ended || call.phase !== "in-bridge") return;
      const want = call.speakingNow && !call.hostMuted;
      if (want === call.speakingSent) return;
      call.speakingSent = want;
      this.#options.web.callState(call.id, { speaking: want }).catch((err) => {
        log.warn("speaking update failed", { callId: call.id, error: (err as Error).message });
      });
    }, this.#options.speakingDebounceMs ?? 250);
  }

  // --- the web's requests ----------------------------------------------------------------------------

  /** The host let a waiting caller in (idempotent for callers already in the bridge). */
  async admit(callId: string): Promise<void> {
    const call = this.#call(callId);
    if (call.phase === "in-bridge") return;
    if (call.phase !== "waiting") {
      call.admitRequested = true;
      return;
    }
    await this.#join(call);
  }

  async setMuted(callId: string, muted: boolean): Promise<void> {
    const call = this.#call(callId);
    call.hostMuted = muted;
    if (call.joined) {
      await this.#options.bridges.for(call.meetingId!).setCallerMuted(call.id, muted);
    }
    this.#scheduleSpeaking(call);
    if (call.video && call.meetingId) {
      await this.#options.videos?.get(call.meetingId)?.callTalking(call.id, call.speakingNow && !muted);
    }
  }

  /** BYE (or CANCEL for a ringing dial-out): removed, denied, or the meeting ended. */
  async hangup(callId: string, reason = "removed"): Promise<void> {
    await this.#end(this.#call(callId), reason, "web");
  }

  /**
   * Recording of the meeting started (`on`) or stopped: every caller in it hears so, in their
   * language, over the meeting's sound for a moment (as the meeting's browsers see a banner). Callers
   * still in the menu or the lobby hear it when they enter. Opus calls (room systems) get no prompts.
   */
  announceRecording(meetingId: string, on: boolean): number {
    const calls = [...this.#calls.values()].filter((c) =>
      c.meetingId === meetingId && c.phase === "in-bridge" && !c.ended
    );
    for (const c of calls) void this.#playPrompt(c, on ? "recordingOn" : "recordingOff");
    return calls.length;
  }

  /** The meeting ended: every call of it gets a BYE, then its bridge stops. */
  async meetingEnded(meetingId: string): Promise<{ calls: number }> {
    const calls = [...this.#calls.values()].filter((c) => c.meetingId === meetingId && !c.ended);
    await Promise.all(calls.map((c) => this.#end(c, "meeting-ended", "web")));
    await this.#options.bridges.meetingEnded(meetingId);
    return { calls: calls.length };
  }

  async setPublisher(meetingId: string, feedId: number, audioMid: string) {
    await this.#options.bridges.for(meetingId).addWebPublisher(feedId, audioMid);
  }

  async removePublisher(meetingId: string, feedId: number) {
    await this.#options.bridges.get(meetingId)?.removeWebPublisher(feedId);
  }

  // --- dial-out -------------------------------------------------------------------------------------

  /** Calls `target` (E.164 or sip: URI) for the meeting; progress goes to the web app. */
  dialOut(meetingId: string, target: string, displayName: string): { callId: string } {
    const endpoint = this.#options.endpoint;
    if (!endpoint) throw new CallProblem(503, "SIP is off (SIP_PORT=0)");
    const proxy = this.#options.outboundProxy;
    let uri: string;
    if (target.startsWith("sip:")) {
      if (!parseUri(target)) throw new CallProblem(400, "target is not a valid SIP URI");
      uri = target;
    } else {
      if (!proxy) throw new CallProblem(409, "dialling numbers needs SIP_OUTBOUND_PROXY");
      const host = parseUri(proxy)?.host;
      if (!host) throw new CallProblem(503, "SIP_OUTBOUND_PROXY is not a valid SIP URI");
      uri = `sip:${target}@${host}`;
    }
    const socket = this.#bindCallerSocket();
    const local = this.#localAddress(socket);
    // A SIP address may be a room system: offer video too (numbers go to the phone network).
    const videoPorts = target.startsWith("sip:") && this.#options.videos ? this.#bindVideoPair("dial-out") : null;
    const videoOffer = videoPorts ? { port: (videoPorts.rtp.addr as Deno.NetAddr).port } : undefined;
    const closeVideo = () => {
      videoPorts?.rtp.close();
      videoPorts?.rtcp?.close();
    };
    const out = endpoint.call(uri, offerSdp(local, ["pcmu", "pcma"], videoOffer), {
      from: { user: meetingId, displayName: "Talkspace" },
      outboundProxy: proxy || undefined,
      noAnswerTimeoutMs: this.#options.dialOutNoAnswerMs,
    });
    const number = target.startsWith("sip:") ? maskNumber(parseUri(target)?.user ?? null) : maskNumber(target);
    const call = new Call("out", out, displayName.trim().slice(0, 64) || number, number, this.#language);
    call.meetingId = meetingId;
    this.#calls.set(call.id, call);
    const web = this.#options.web;
    // Progress goes out one status at a time, in order. The web app stores the call when our 202
    // arrives, which can be after a fast callee's first answer: a 404 is retried briefly.
    let queue: Promise<void> = Promise.resolve();
    const post = async (status: DialOutStatus, reason?: string) => {
      for (let attempt = 0;; attempt++) {
        try {
          return await web.progress(call.id, status, reason);
        } catch (err) {
          if (!(err instanceof WebError && err.status === 404) || attempt >= 7) throw err;
          await new Promise((r) => setTimeout(r, 25 * 2 ** attempt));
        }
      }
    };
    const progress = (status: DialOutStatus, reason?: string) =>
      queue = queue.then(() => post(status, reason)).catch((err) => {
        log.warn("dial-out progress failed", { callId: call.id, status, error: (err as Error).message });
      });
    let ringing = false;
    out.onRinging(() => {
      if (ringing) return;
      ringing = true;
      void progress("ringing");
    });
    out.on("ended", (reason) => void this.#end(call, reason === "bye" ? "hangup" : reason, "sip"));
    out.on("dtmf", (digit) => call.digits.push(digit));
    void (async () => {
      const outcome = await out.outcome;
      if (outcome.kind !== "answered") {
        socket.close();
        closeVideo();
        const status = outcome.kind === "cancelled" ? "failed" : outcome.kind;
        await progress(status, outcome.kind === "failed" ? outcome.reason : String(outcome.status));
        await this.#end(call, outcome.kind, "sip");
        return;
      }
      const chosen = outcome.remoteSdp ? negotiate(outcome.remoteSdp as Sdp, { allowOpus: false }) : null;
      if (!chosen) {
        socket.close();
        closeVideo();
        await progress("failed", "no common codec");
        await this.#end(call, "failed", "local");
        return;
      }
      this.#attachRelay(
        call,
        this.#relay(socket, {
          callId: call.id,
          codec: chosen.codec,
          payloadType: chosen.payloadType,
          telephoneEventPayloadType: chosen.telephoneEvent,
          callerSdpAddress: chosen.remote,
        }),
      );
      const video = videoPorts
        ? negotiateVideo(outcome.remoteSdp as Sdp, { transcodeH264: !!this.#options.transcoder })
        : null;
      if (videoPorts && video?.remote) this.#attachVideo(call, video, this.#videoRelay(call, video, videoPorts));
      else closeVideo();
      if (call.ended) {
        await call.relay?.close();
        await call.video?.close();
        return;
      }
      await progress("answered");
      try {
        // The host invited them: no lobby, straight into the bridge.
        await this.#register(call, meetingId);
      } catch (err) {
        log.error("dial-out registration failed", { callId: call.id, error: (err as Error).message });
        await this.#end(call, "failed", "local");
      }
    })();
    return { callId: call.id };
  }

  // --- the end -----------------------------------------------------------------------------------------

  /** Ends a call once, whoever ended it; `origin` "sip" means the SIP side is already over. */
  #end(call: Call, reason: string, origin: "sip" | "web" | "local"): Promise<void> {
    if (call.ending) return call.ending;
    call.ending = (async () => {
      if (call.phase !== "ended") call.to("ended");
      log.info("call ended", { callId: call.id, reason, origin, meetingId: call.meetingId });
      call.digits.close();
      call.player?.stop();
      call.player = null;
      clearTimeout(call.speakingTimer);
      if (origin !== "sip") {
        const sip = call.sip;
        try {
          if ("cancel" in sip && (sip.state === "calling" || sip.state === "ringing")) sip.cancel();
          else sip.hangup();
        } catch (err) {
          log.warn("hanging up failed", { callId: call.id, error: (err as Error).message });
        }
      }
      if (call.joined && call.meetingId) {
        await this.#options.bridges.for(call.meetingId).removeCaller(call.id).catch((err) => {
          log.warn("leaving the bridge failed", { callId: call.id, error: (err as Error).message });
        });
      }
      if (call.video) {
        const videos = call.meetingId ? this.#options.videos?.get(call.meetingId) : null;
        await videos?.remove(call.id).catch((err) => {
          log.warn("removing room system video failed", { callId: call.id, error: (err as Error).message });
        });
        if (videos) this.#options.videos!.release(call.meetingId!);
        await call.video.close();
      }
      await call.relay?.close();
      if (call.registered) {
        await this.#options.web.callEnded(call.id, reason).catch((err) => {
          log.warn("telling the web app failed", { callId: call.id, error: (err as Error).message });
        });
      }
      this.#calls.delete(call.id);
    })();
    return call.ending;
  }

  /**
   * Janus came back after a restart and the VideoRoom/AudioBridge managers re-created their rooms:
   * the phone feeds, browsers' audio into the bridges and room systems' video are put back. Calls
   * themselves go on (their relays were re-pointed at the re-joined AudioBridge participants).
   */
  async janusRestored() {
    await this.#options.bridges.janusRestored();
    const videos = this.#options.videos;
    if (!videos) return;
    await videos.janusRestored();
    // Room systems talking now are speakers again (the relays only report changes).
    for (const call of this.#calls.values()) {
      if (!call.video || !call.meetingId || !call.speakingNow || call.hostMuted) continue;
      await videos.get(call.meetingId)?.callTalking(call.id, true).catch(() => {});
    }
  }

  /** Hangs up every call (gateway shutdown). */
  async stop() {
    this.#ports.close();
    await Promise.all([...this.#calls.values()].map((c) => this.#end(c, "shutdown", "local")));
  }
}

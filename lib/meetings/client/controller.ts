// The in-meeting client's state and actions (what galene.js is to protocol.js): ties the meeting
// socket, the Janus media session and the local devices together and exposes everything the UI
// shows as @preact/signals. The UI only reads signals and calls these methods.

import { batch, effect, signal } from "@preact/signals";
import type { MediaAccess } from "../../http/types.ts";
import type { ParticipantRole, WelcomeMessage } from "../protocol.ts";
import { applyMeetingMessage, rosterFromWelcome } from "./roster.ts";
import type { Roster } from "./roster.ts";
import { NO_SPEAKER, speakerReducer } from "./layout.ts";
import type { SpeakerState, TileKey } from "./layout.ts";
import { MeetingSocket, socketUrl } from "./socket.ts";
import type { SocketStatus } from "./socket.ts";
import {
  canChooseSpeaker,
  captureLocalMedia,
  captureScreen,
  listDevices,
  problemMessage,
  stopTrack,
} from "./devices.ts";
import type { DeviceLists, MediaProblem } from "./devices.ts";
import { collectStats } from "./stats.ts";
import type { MediaStats } from "./stats.ts";
import { MediaSession } from "./janus.ts";
import type { MediaStatus, RemoteStream } from "./janus.ts";

/** The island's props: JSON only (see components/MeetingPage.tsx). */
export interface MeetingRoomProps {
  meeting: { meetingId: string; title: string; formattedId: string };
  me: { participantName: string; role: ParticipantRole };
  invite: { url: string; passcode: string } | null;
  socketPath: string;
  mediaPath: string;
}

export type Phase = "prejoin" | "joining" | "meeting" | "left" | "ended" | "refused";
export type Banner = { kind: "reconnecting" | "reconnected"; text: string } | null;

const log = (msg: string, data?: unknown) => console.warn(`[meeting] ${msg}`, data ?? "");

export class MeetingController {
  readonly props: MeetingRoomProps;

  readonly phase = signal<Phase>("prejoin");
  /** Why the meeting view closed (ended by the host, refused), shown on the end screen. */
  readonly closedReason = signal("");

  // Devices and local media (pre-join and in the meeting).
  readonly devices = signal<DeviceLists>({ cameras: [], microphones: [], speakers: [] });
  readonly micId = signal<string | undefined>(undefined);
  readonly camId = signal<string | undefined>(undefined);
  readonly speakerId = signal<string | undefined>(undefined);
  readonly speakerSelectable = signal(false);
  readonly localAudio = signal<MediaStreamTrack | null>(null);
  readonly localVideo = signal<MediaStreamTrack | null>(null);
  readonly localScreen = signal<MediaStreamTrack | null>(null);
  readonly problems = signal<{ camera?: MediaProblem; microphone?: MediaProblem }>({});
  readonly previewing = signal(false);
  readonly audioMuted = signal(false);
  readonly cameraOn = signal(true);

  // The meeting.
  readonly participantId = signal<string | null>(null);
  readonly roster = signal<Roster>(new Map());
  readonly remote = signal<RemoteStream[]>([]);
  readonly speaker = signal<SpeakerState>(NO_SPEAKER);
  readonly socketStatus = signal<SocketStatus>("connecting");
  readonly mediaStatus = signal<MediaStatus | "off">("off");
  readonly banner = signal<Banner>(null);
  /** Messages for the person (user errors), newest last. */
  readonly notices = signal<string[]>([]);
  readonly layout = signal<"grid" | "speaker">("grid");
  readonly pinned = signal<TileKey | null>(null);
  readonly showParticipants = signal(false);
  readonly showSettings = signal(false);

  #socket: MeetingSocket | null = null;
  #media: MediaSession | null = null;
  #wasReconnecting = false;
  #bannerTimer: ReturnType<typeof setTimeout> | undefined;
  #disposeEffects: (() => void) | null = null;
  #onDeviceChange = () => this.refreshDevices();

  constructor(props: MeetingRoomProps) {
    this.props = props;
  }

  // ---- pre-join ---------------------------------------------------------------------------------

  /** Starts the camera preview and microphone (asks for permission), then lists devices. */
  async startPreview() {
    this.speakerSelectable.value = canChooseSpeaker();
    navigator.mediaDevices?.addEventListener?.("devicechange", this.#onDeviceChange);
    await this.#capture({ audio: true, video: this.cameraOn.value });
    this.previewing.value = true;
    await this.refreshDevices();
  }

  async refreshDevices() {
    try {
      this.devices.value = await listDevices();
    } catch (err) {
      log("listing devices failed", err);
    }
  }

  async #capture(want: { audio: boolean; video: boolean }) {
    const got = await captureLocalMedia({
      audio: want.audio,
      video: want.video,
      audioDeviceId: this.micId.value,
      videoDeviceId: this.camId.value,
    });
    batch(() => {
      const problems = { ...this.problems.value };
      if (want.audio) {
        stopTrack(this.localAudio.value);
        this.localAudio.value = got.audio;
        problems.microphone = got.problems.microphone;
        if (got.audio) this.micId.value = got.audio.getSettings().deviceId ?? this.micId.value;
      }
      if (want.video) {
        stopTrack(this.localVideo.value);
        this.localVideo.value = got.video;
        problems.camera = got.problems.camera;
        if (got.video) this.camId.value = got.video.getSettings().deviceId ?? this.camId.value;
      }
      this.problems.value = problems;
    });
    return got;
  }

  /** Messages about device problems for the pre-join screen and the meeting. */
  problemMessages(): string[] {
    const p = this.problems.value;
    const out: string[] = [];
    if (p.microphone) out.push(problemMessage("microphone", p.microphone));
    if (p.camera && this.cameraOn.value) out.push(problemMessage("camera", p.camera));
    return out;
  }

  /** Camera on/off, before or during the meeting; off releases the camera. */
  async setCameraOn(on: boolean) {
    this.cameraOn.value = on;
    if (!on) {
      const old = this.localVideo.value;
      this.localVideo.value = null;
      await this.#media?.setCamera(null);
      stopTrack(old);
    } else {
      const got = await this.#capture({ audio: false, video: true });
      if (!got.video) {
        this.cameraOn.value = false;
        this.#notice(problemMessage("camera", got.problems.camera ?? "failed"));
      } else await this.#media?.setCamera(got.video);
    }
    this.#sendState();
  }

  async setAudioMuted(muted: boolean) {
    if (!muted && !this.localAudio.value) {
      const got = await this.#capture({ audio: true, video: false });
      if (!got.audio) {
        this.#notice(problemMessage("microphone", got.problems.microphone ?? "failed"));
        return;
      }
      this.audioMuted.value = false;
      await this.#media?.setMicrophone(got.audio);
    }
    this.audioMuted.value = muted;
    await this.#media?.setAudioMuted(muted);
    this.#sendState();
  }

  async chooseMicrophone(deviceId: string) {
    this.micId.value = deviceId;
    const old = this.localAudio.value;
    const got = await captureLocalMedia({ audio: true, video: false, audioDeviceId: deviceId });
    if (!got.audio) return this.#notice(problemMessage("microphone", got.problems.microphone ?? "failed"));
    this.localAudio.value = got.audio;
    await this.#media?.setMicrophone(got.audio);
    stopTrack(old);
    this.#sendState();
  }

  async chooseCamera(deviceId: string) {
    this.camId.value = deviceId;
    if (!this.cameraOn.value) return;
    const old = this.localVideo.value;
    const got = await captureLocalMedia({ audio: false, video: true, videoDeviceId: deviceId });
    if (!got.video) return this.#notice(problemMessage("camera", got.problems.camera ?? "failed"));
    this.localVideo.value = got.video;
    await this.#media?.setCamera(got.video);
    stopTrack(old);
  }

  chooseSpeaker(deviceId: string) {
    this.speakerId.value = deviceId;
  }

  // ---- joining and the meeting ------------------------------------------------------------------

  /** Connects the meeting socket, then media. Media problems leave the person in the meeting. */
  async join() {
    if (this.phase.value !== "prejoin") return;
    this.phase.value = "joining";
    this.#watchConnection();
    let firstWelcome: (w: WelcomeMessage) => void;
    const welcomed = new Promise<WelcomeMessage>((r) => (firstWelcome = r));
    const socket = new MeetingSocket(socketUrl(this.props.socketPath, location), {
      welcome: (msg, reconnected) => {
        batch(() => {
          this.participantId.value = msg.participantId;
          this.roster.value = rosterFromWelcome(msg);
        });
        if (!reconnected) firstWelcome(msg);
      },
      message: (msg) => {
        this.roster.value = applyMeetingMessage(this.roster.value, msg);
        if (msg.type === "participant-left") {
          this.speaker.value = speakerReducer(this.speaker.value, {
            type: "left",
            participantId: msg.data.participantId,
          });
        }
      },
      status: (s) => (this.socketStatus.value = s),
      ended: (reason) => this.#close("ended", reason || "The host ended the meeting"),
      refused: (_code, reason) => this.#close("refused", reason || "You are no longer in this meeting."),
      error: (kind, message) => (kind === "user" ? this.#notice(message) : log("server error", message)),
    });
    this.#socket = socket;
    socket.start();
    const welcome = await welcomed;
    if (this.phase.value !== "joining") return;
    this.phase.value = "meeting";
    this.#sendState();
    await this.#startMedia(welcome.participantId);
  }

  async #startMedia(participantId: string) {
    if (this.phase.value !== "meeting") return;
    const media = new MediaSession({
      participantId,
      getAccess: () => this.#fetchAccess(),
      events: {
        status: (s) => (this.mediaStatus.value = s),
        remote: (streams) => (this.remote.value = streams),
        talking: (id, talking) => {
          this.speaker.value = speakerReducer(this.speaker.value, {
            type: talking ? "talking" : "stopped-talking",
            participantId: id,
          });
        },
        error: (kind, message) => (kind === "user" ? this.#notice(message) : log(message)),
        removed: (reason) => {
          if (reason === "kicked") this.#close("refused", "You were removed from the meeting.");
          // "destroyed": the socket's meeting-ended says why; media is closed there.
        },
      },
    });
    this.#media = media;
    this.mediaStatus.value = "connecting";
    try {
      await media.start({
        audio: this.localAudio.value,
        audioMuted: this.audioMuted.value,
        video: this.cameraOn.value ? this.localVideo.value : null,
        screen: null,
      });
      this.#sendState();
    } catch (err) {
      if (this.#media !== media) return;
      media.close();
      this.#media = null;
      this.mediaStatus.value = "off";
      log("media failed to start", err);
      this.#notice(
        err instanceof AccessError ? err.message : "Audio and video could not connect. You can still see who is here.",
      );
    }
  }

  async #fetchAccess(): Promise<MediaAccess> {
    const res = await fetch(this.props.mediaPath, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ participantId: this.participantId.value }),
      credentials: "same-origin",
    });
    if (!res.ok) {
      let message = "Audio and video are not available in this meeting right now.";
      try {
        const body = await res.json();
        if (typeof body?.error === "string" && res.status < 500) message = body.error;
        else if (typeof body?.detail === "string" && res.status < 500) message = body.detail;
      } catch { /* not JSON */ }
      throw new AccessError(message);
    }
    const body = await res.json();
    return (body.access ?? body) as MediaAccess;
  }

  async toggleScreen() {
    if (this.localScreen.value) return await this.stopScreen();
    if (!this.#media) return this.#notice("Screen sharing needs a working audio/video connection.");
    let track: MediaStreamTrack | null;
    try {
      track = await captureScreen();
    } catch (err) {
      return this.#notice(`Your screen could not be shared: ${(err as Error).message}`);
    }
    if (!track) return;
    track.addEventListener("ended", () => this.stopScreen());
    this.localScreen.value = track;
    this.#sendState();
    try {
      await this.#media.startScreen(track);
    } catch (err) {
      log("screen share failed", err);
      await this.stopScreen();
      this.#notice("Your screen could not be shared.");
    }
  }

  async stopScreen() {
    const track = this.localScreen.value;
    if (!track) return;
    this.localScreen.value = null;
    this.#sendState();
    stopTrack(track);
    await this.#media?.stopScreen().catch((err) => log("stopping the screen share failed", err));
  }

  /** Leaves: media first (others see the feed go), then the socket, then the devices. */
  leave() {
    this.#close("left", "");
  }

  /** Ends the meeting for everyone (hosts and co-hosts); the socket then reports meeting-ended. */
  async endForAll() {
    const res = await fetch(`/m/${this.props.meeting.meetingId}/end`, {
      method: "POST",
      headers: { accept: "application/json" },
      credentials: "same-origin",
    });
    await res.body?.cancel();
    if (!res.ok && res.status !== 303 && !res.redirected) this.#notice("The meeting could not be ended. Try again.");
  }

  pin(tile: TileKey | null) {
    const cur = this.pinned.value;
    this.pinned.value = tile && cur && cur.participantId === tile.participantId && cur.source === tile.source
      ? null
      : tile;
    if (this.pinned.value) this.layout.value = "speaker";
  }

  dismissNotice(i: number) {
    this.notices.value = this.notices.value.filter((_, j) => j !== i);
  }

  /** Stops everything (the island unmounts). */
  dispose() {
    navigator.mediaDevices?.removeEventListener?.("devicechange", this.#onDeviceChange);
    if (this.phase.value === "meeting" || this.phase.value === "joining") this.#close("left", "");
    else this.#stopLocal();
  }

  // ---- test hook --------------------------------------------------------------------------------

  /** A JSON snapshot for end-to-end tests (no tokens or other secrets). */
  snapshot() {
    return {
      phase: this.phase.value,
      closedReason: this.closedReason.value,
      participantId: this.participantId.value,
      feedId: this.#media?.feedId ?? null,
      socket: this.socketStatus.value,
      media: this.mediaStatus.value,
      banner: this.banner.value?.text ?? null,
      audioMuted: this.audioMuted.value,
      cameraOn: this.cameraOn.value,
      sharing: this.localScreen.value !== null,
      participants: [...this.roster.value.values()].map((p) => ({
        participantId: p.participantId,
        name: p.name,
        role: p.role,
        state: p.state,
        feedId: p.feedId,
      })),
      remote: this.remote.value.map((r) => ({
        participantId: r.participantId,
        feedId: r.feedId,
        source: r.source,
        mid: r.mid,
        hasTrack: r.track !== null,
      })),
      speaker: this.speaker.value,
      notices: this.notices.value,
    };
  }

  async stats(): Promise<MediaStats | null> {
    const m = this.#media;
    if (!m) return null;
    return await collectStats(m.publisherPc, m.subscriberPc, m.midInfo(), m.publisherSources());
  }

  /** Cuts the meeting socket and the Janus connection as a network failure would. */
  dropConnections() {
    this.#socket?.drop();
    this.#media?.dropConnection();
  }

  restartIce() {
    this.#media?.restartIce();
  }

  // ---- internals --------------------------------------------------------------------------------

  #sendState() {
    const feedId = this.#media?.feedId ?? null;
    this.#socket?.sendState({
      audio: !!this.localAudio.value && !this.audioMuted.value,
      video: !!this.localVideo.value && this.cameraOn.value,
      screen: !!this.localScreen.value,
      ...(feedId !== null && this.#media?.status !== "closed" ? { feedId } : {}),
    });
  }

  #notice(message: string) {
    if (!this.notices.value.includes(message)) this.notices.value = [...this.notices.value, message].slice(-4);
  }

  /** Shows "Reconnecting…" while the socket or media recover, then "Reconnected" for a moment. */
  #watchConnection() {
    this.#disposeEffects?.();
    this.#disposeEffects = effect(() => {
      const s = this.socketStatus.value;
      const m = this.mediaStatus.value;
      if (this.phase.value !== "meeting") return;
      const reconnecting = s === "reconnecting" || m === "reconnecting";
      clearTimeout(this.#bannerTimer);
      if (reconnecting) {
        this.#wasReconnecting = true;
        this.banner.value = { kind: "reconnecting", text: "Reconnecting…" };
      } else if (this.#wasReconnecting && s === "open" && m !== "connecting") {
        this.#wasReconnecting = false;
        this.banner.value = { kind: "reconnected", text: "Reconnected" };
        this.#bannerTimer = setTimeout(() => (this.banner.value = null), 3000);
      }
    });
  }

  #close(phase: "left" | "ended" | "refused", reason: string) {
    if (this.phase.value === "left" || this.phase.value === "ended" || this.phase.value === "refused") return;
    this.#media?.close();
    this.#media = null;
    this.#socket?.close();
    this.#socket = null;
    this.#disposeEffects?.();
    this.#disposeEffects = null;
    clearTimeout(this.#bannerTimer);
    this.#stopLocal();
    batch(() => {
      this.phase.value = phase;
      this.closedReason.value = reason;
      this.banner.value = null;
      this.remote.value = [];
      this.mediaStatus.value = "off";
    });
  }

  #stopLocal() {
    stopTrack(this.localAudio.value);
    stopTrack(this.localVideo.value);
    stopTrack(this.localScreen.value);
    batch(() => {
      this.localAudio.value = null;
      this.localVideo.value = null;
      this.localScreen.value = null;
    });
  }
}

/** The media endpoint refused access; the message is for the person. */
class AccessError extends Error {}

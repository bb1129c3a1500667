// The in-meeting client's state and actions (what galene.js is to protocol.js): ties the meeting
// socket, the Janus media session and the local devices together and exposes everything the UI
// shows as @preact/signals. The UI only reads signals and calls these methods.

import { batch, computed, effect, signal } from "@preact/signals";
import type { MediaAccess } from "../../contracts/gateway_api.ts";
import type {
  ChatMessage,
  DialOutStatus,
  LobbyEntry,
  LobbyStatusMessage,
  MeetingMessage,
  ParticipantRole,
  ParticipantView,
  RoomSettings,
  ServerMessage,
  WelcomeMessage,
} from "../../contracts/meeting_socket.ts";
import { addChat, chatDraftProblem, EMPTY_CHAT, isSystemEntry, markChatRead } from "./chat.ts";
import type { ChatLog } from "./chat.ts";
import {
  addReaction,
  applyLobby,
  canUnmute,
  chatAllowed,
  DEFAULT_ROOM_SETTINGS,
  expireReactions,
  handQueue,
  isHostRole,
  myModeration,
  REACTION_SHOW_MS,
  settingsFrom,
} from "./moderation.ts";
import type { FloatingReaction } from "./moderation.ts";
import { applyMeetingMessage, isPhone, rosterFromWelcome } from "./roster.ts";
import { DIAL_OUT_TARGET } from "../../telephony/dial_target.ts";
import type { Roster } from "./roster.ts";
import { NO_SPEAKER, speakerReducer } from "./layout.ts";
import type { SpeakerState, TileKey } from "./layout.ts";
import { CLOSE_CODES, MeetingSocket, socketUrl } from "./socket.ts";
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
import { loadPrefs, savePrefs } from "./prefs.ts";
import { playChime } from "./chime.ts";
import { type IslandI18n, makeTranslate, sayFrom, type Translate } from "../../i18n/client.ts";
import { announcementFor } from "./announce.ts";
import { DEFAULT_SHORTCUTS, loadShortcuts, saveShortcuts } from "./shortcuts.ts";
import type { KeyCombo, ShortcutAction, ShortcutPrefs } from "./shortcuts.ts";
import type { MediaStats } from "./stats.ts";
import { BACKGROUNDS, effectsUnsupported } from "./effects/choices.ts";
import type { VideoEffectChoice } from "./effects/choices.ts";
// janus.js and webrtc-adapter are two thirds of the meeting page's JavaScript and only needed once
// joined: loaded by a dynamic import (its own chunk), started at join time.
import type { MediaSession, MediaStatus, RemoteStream } from "./janus.ts";

/** An effect's progress, for the Effects group's status text. */
export type EffectState = { status: "off" | "loading" | "on" } | { status: "failed"; message: string };

/** A running effect: its output track replaces `source` (effects/video.ts VideoEffect, audio.ts NoiseSuppression). */
interface RunningEffect {
  source: MediaStreamTrack;
  track: MediaStreamTrack;
  stop(opts?: { keepSource?: boolean }): void;
  setBackground?(b: unknown): Promise<void>;
}

/** The reactions the server accepts (protocol.ts's REACTIONS; a test keeps them equal). */
export const REACTION_EMOJI = ["👍", "👏", "❤️", "😂", "😮", "🎉"] as const;

/** The island's props, also the server-rendered frame's (components/MeetingPage.tsx): JSON only. */
export interface MeetingRoomProps {
  meeting: { meetingId: string; title: string; formattedId: string };
  me: { participantName: string; role: ParticipantRole };
  /** Only for hosts and co-hosts; `sipUri` / `dialInNumber` when the server has dial-in (SIP_DOMAIN / SIP_DID_NUMBER). */
  invite: { url: string; passcode: string; sipUri?: string; dialInNumber?: string } | null;
  /** The meeting socket's path (`/meetings/<id>/ws`). */
  socketPath: string;
  /** Where admitted people get media access (`/meetings/<id>/media`). */
  mediaPath: string;
  /**
   * The person waits in the lobby: the island should only follow the socket's `lobby` status and
   * reload the page on close 4001 (docs/meeting-protocol.md); no media, participants or chat.
   */
  waiting?: boolean;
  /** The page's language and the island's compiled messages (lib/i18n/client.ts). */
  i18n: IslandI18n;
  /** Why they wait: the meeting is locked, or its lobby applies to them. */
  waitingReason?: "locked" | "lobby";
  /**
   * The pre-join of someone not let in yet (a guest's name form, a passcode): only the preview,
   * devices and choices, no socket; the server's form beside it submits, and the meeting page then
   * joins at once with what was chosen here.
   */
  preview?: boolean;
  /** The meeting is being recorded as the page is served (told on the pre-join, before entering). */
  recording?: boolean;
}

export type Phase =
  | "prejoin"
  | "joining"
  | "meeting"
  | "lobby"
  | "denied"
  | "left"
  | "ended"
  | "refused"
  | "removed";

/** Phases after which nothing more happens on this page. */
const CLOSED_PHASES: ReadonlySet<Phase> = new Set(["left", "ended", "refused", "removed", "denied"]);

/** The side panels; on screens matching NARROW_QUERY they open one at a time, as sheets. */
export type Panel = "chat" | "participants" | "info" | "settings";
/** Where panels become sheets (static/meeting.css uses the same width). */
export const NARROW_QUERY = "(max-width: 40rem)";

/** sessionStorage key: join straight away after the reload that follows being admitted. */
const autoJoinKey = (meetingId: string) => `ts-autojoin-${meetingId}`;
export type Banner = { kind: "reconnecting" | "reconnected"; text: string } | null;

const log = (msg: string, data?: unknown) => console.warn(`[meeting] ${msg}`, data ?? "");

export class MeetingController {
  readonly props: MeetingRoomProps;
  /** The island's translator (its messages came in the props). */
  readonly t: Translate;

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
  /** Settles when the pre-join capture has finished (successfully or not). */
  #previewReady: Promise<void> | null = null;
  readonly audioMuted = signal(false);
  readonly cameraOn = signal(true);
  /** The speaker test on the pre-join screen and in settings. */
  readonly speakerTest = signal<"idle" | "playing" | "played" | "failed">("idle");
  /** Background effect and enhanced (RNNoise) noise suppression, remembered on this device. */
  readonly videoEffect = signal<VideoEffectChoice>("none");
  readonly background = signal<string>(BACKGROUNDS[0].id);
  readonly noiseSuppression = signal(false);
  readonly effectState = signal<{ video: EffectState; audio: EffectState }>({
    video: { status: "off" },
    audio: { status: "off" },
  });
  /** Why this browser cannot run an effect (set once hydrated). */
  readonly effectsUnsupported = signal<{ video?: string; audio?: string }>({});
  /** getDisplayMedia exists (not on phones' browsers): set once hydrated, true until then. */
  readonly canShareScreen = signal(true);

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
  readonly showChat = signal(false);
  /** The Info panel (meeting details, the invitation for hosts). */
  readonly showInfo = signal(false);
  /** The last thing said to screen readers (the live region re-reads when `n` changes). */
  readonly announcement = signal<{ n: number; text: string } | null>(null);
  /** Keyboard shortcuts (defaults until the page runs: what this device remembered). */
  readonly shortcuts = signal<ShortcutPrefs>({ enabled: true, keys: { ...DEFAULT_SHORTCUTS } });
  readonly shortcutsOpen = signal(false);
  /** On a phone or tablet in the background: the camera is paused (audio keeps flowing). */
  readonly videoPaused = signal(false);
  /** Cameras this device has (camera flip is offered when there are two or more). */
  readonly cameraCount = computed(() => this.devices.value.cameras.length);

  // Running the meeting (docs/meeting-protocol.md "Host controls", lobby, hands, reactions, chat).
  readonly settings = signal<RoomSettings>(DEFAULT_ROOM_SETTINGS);
  /** Hosts and co-hosts: who waits in the lobby, oldest first. */
  readonly lobby = signal<readonly LobbyEntry[]>([]);
  /** Knocks the host has not looked at yet (badge on the Participants button). */
  readonly unseenKnocks = signal(0);
  /** The waiting person's own lobby status. */
  readonly lobbyStatus = signal<LobbyStatusMessage | null>(null);
  readonly chat = signal<ChatLog>(EMPTY_CHAT);
  /** The chat's addressee: null for everyone, else a participantId. */
  readonly chatTo = signal<string | null>(null);
  readonly reactions = signal<readonly FloatingReaction[]>([]);
  /** Hosts: calls out (dial-out) and how each is going, newest last. */
  readonly dialOuts = signal<readonly DialOutStatus[]>([]);
  /** The meeting is being recorded (the red dot); the notice shows until dismissed, with a way out. */
  readonly recording = signal(false);
  readonly recordingNotice = signal(false);
  /** A start or stop asked for and not answered yet. */
  readonly recordingBusy = signal(false);
  /** A host asked me to unmute (or start video): the prompt's content. */
  readonly unmutePrompt = signal<{ media: "audio" | "video"; by: string } | null>(null);
  /** A host asked, so the server accepts my unmute even when unmuting is not allowed. */
  readonly #askedMedia = signal<{ audio: boolean; video: boolean }>({ audio: false, video: false });

  /** My role now (a host can make me co-host or host during the meeting). */
  readonly role = computed<ParticipantRole>(() => {
    const id = this.participantId.value;
    return (id && this.roster.value.get(id)?.role) || this.#welcomeRole.value || this.props.me.role;
  });
  readonly isHost = computed(() => isHostRole(this.role.value));
  readonly me = computed<ParticipantView | undefined>(() => {
    const id = this.participantId.value;
    return id ? this.roster.value.get(id) : undefined;
  });
  readonly hands = computed(() => handQueue(this.roster.value));
  readonly handRaised = computed(() => !!this.me.value?.handRaisedAt);
  /** Whether the unmute (start video) button works; false shows it disabled with a reason. */
  readonly mayUnmute = computed(() =>
    this.#askedMedia.value.audio || canUnmute(this.me.value, this.settings.value, this.role.value, "audio")
  );
  readonly mayStartVideo = computed(() =>
    this.#askedMedia.value.video || canUnmute(this.me.value, this.settings.value, this.role.value, "video")
  );

  readonly #welcomeRole = signal<ParticipantRole | null>(null);
  /** Server messages as received (types and ids only, plus chat), for the end-to-end test hook. */
  readonly #received: unknown[] = [];
  #reactionKey = 0;
  #reactionTimer: ReturnType<typeof setInterval> | undefined;

  #socket: MeetingSocket | null = null;
  #media: MediaSession | null = null;
  #mediaModule: Promise<typeof import("./janus.ts")> | null = null;
  // The effects (segmenter, RNNoise) are their own chunk, loaded when one is turned on.
  #effectsModule: Promise<typeof import("./effects/effects.ts")> | null = null;
  /** Output track → the effect making it. */
  #effects = new WeakMap<MediaStreamTrack, RunningEffect>();
  #wasReconnecting = false;
  #bannerTimer: ReturnType<typeof setTimeout> | undefined;
  #disposeEffects: (() => void) | null = null;
  #onDeviceChange = () => this.refreshDevices();
  #onVisibility = () => this.#pauseVideoInBackground();

  constructor(props: MeetingRoomProps) {
    this.props = props;
    this.t = makeTranslate(props.i18n);
  }

  // ---- pre-join ---------------------------------------------------------------------------------

  /** Starts the camera preview and microphone (asks for permission), then lists devices. */
  async startPreview() {
    this.speakerSelectable.value = canChooseSpeaker();
    this.canShareScreen.value = typeof navigator.mediaDevices?.getDisplayMedia === "function";
    navigator.mediaDevices?.addEventListener?.("devicechange", this.#onDeviceChange);
    document.addEventListener("visibilitychange", this.#onVisibility);
    const prefs = loadPrefs();
    this.shortcuts.value = loadShortcuts();
    this.effectsUnsupported.value = effectsUnsupported();
    batch(() => {
      if (prefs.videoEffect) this.videoEffect.value = prefs.videoEffect;
      if (BACKGROUNDS.some((b) => b.id === prefs.background)) this.background.value = prefs.background!;
      this.noiseSuppression.value = !!prefs.noiseSuppression;
      this.camId.value = prefs.camId;
      this.micId.value = prefs.micId;
      this.speakerId.value = prefs.speakerId;
      if (prefs.cameraOff) this.cameraOn.value = false;
      if (prefs.micOff) this.audioMuted.value = true;
    });
    if (this.props.waiting) this.#startLobby();
    this.#previewReady = this.#capture({ audio: true, video: this.cameraOn.value }).then(async (got) => {
      // A remembered device that is gone (unplugged, another machine's id): the default instead.
      const retry = { audio: !got.audio && !!prefs.micId, video: !got.video && !!prefs.camId && this.cameraOn.value };
      if (retry.audio) this.micId.value = undefined;
      if (retry.video) this.camId.value = undefined;
      if (retry.audio || retry.video) await this.#capture(retry);
      this.previewing.value = true;
    });
    await this.#previewReady;
    await this.refreshDevices();
    if (!this.props.waiting && !this.props.preview && this.#takeAutoJoin()) await this.join();
  }

  /**
   * The choices of the pre-join screen, remembered on this device for the next meeting; with
   * `joinNext`, the meeting page this person lands on next joins at once (they pressed Join here).
   */
  rememberJoinChoices(opts: { joinNext?: boolean } = {}) {
    savePrefs({ cameraOff: !this.cameraOn.value, micOff: this.audioMuted.value });
    if (!opts.joinNext) return;
    try {
      sessionStorage.setItem(autoJoinKey(this.props.meeting.meetingId), "1");
    } catch { /* storage off: the meeting page shows its Join button */ }
  }

  /** Plays a short chime through the chosen speaker, so people know they will hear the others. */
  async testSpeaker() {
    if (this.speakerTest.value === "playing") return;
    this.speakerTest.value = "playing";
    try {
      await playChime(this.speakerId.value);
      this.speakerTest.value = "played";
    } catch (err) {
      log("the speaker test failed", err);
      this.speakerTest.value = "failed";
    }
  }

  #takeAutoJoin(): boolean {
    try {
      const key = autoJoinKey(this.props.meeting.meetingId);
      const set = sessionStorage.getItem(key) === "1";
      sessionStorage.removeItem(key);
      return set;
    } catch {
      return false;
    }
  }

  /** Waiting in the lobby: a socket that only hears the lobby status; admitted → reload into the meeting. */
  #startLobby() {
    this.phase.value = "lobby";
    const socket = new MeetingSocket(socketUrl(this.props.socketPath, location), {
      welcome: () => location.reload(), // admitted between page load and hello
      message: () => {},
      lobby: (msg) => {
        this.lobbyStatus.value = msg;
        if (msg.status === "denied") this.#close("denied", this.t("room.deniedEntry"));
      },
      admitted: () => {
        try {
          sessionStorage.setItem(autoJoinKey(this.props.meeting.meetingId), "1");
        } catch { /* storage off: the person presses Join after the reload */ }
        location.reload();
      },
      ...this.#socketEnds(CLOSE_CODES.denied, "denied", this.t("room.deniedEntry")),
      error: (kind, message, detail) => {
        if (kind === "user") this.#notice(sayFrom(this.props.i18n, detail?.messageKey, message));
        else log("server error", message);
      },
      received: (m) => this.#record(m),
    });
    this.#socket = socket;
    socket.start();
  }

  async refreshDevices() {
    try {
      this.devices.value = await listDevices();
    } catch (err) {
      log("listing devices failed", err);
    }
  }

  /** Captures what `want` asks for from the chosen devices (the browser's default until one is chosen). */
  #captureChosen(want: { audio: boolean; video: boolean }) {
    return captureLocalMedia({ ...want, audioDeviceId: this.micId.value, videoDeviceId: this.camId.value });
  }

  async #capture(want: { audio: boolean; video: boolean }) {
    const got = await this.#captureChosen(want);
    const micId = got.audio?.getSettings().deviceId;
    const camId = got.video?.getSettings().deviceId;
    // The effects wrap the devices' tracks before anything is previewed or published.
    got.audio = await this.#withEffect("audio", got.audio);
    got.video = await this.#withEffect("video", got.video);
    batch(() => {
      const problems = { ...this.problems.value };
      if (want.audio) {
        this.#release(this.localAudio.value);
        this.localAudio.value = got.audio;
        problems.microphone = got.problems.microphone;
        if (got.audio) this.micId.value = micId ?? this.micId.value;
      }
      if (want.video) {
        this.#release(this.localVideo.value);
        this.localVideo.value = got.video;
        problems.camera = got.problems.camera;
        if (got.video) this.camId.value = camId ?? this.camId.value;
      }
      this.problems.value = problems;
    });
    return got;
  }

  /** Messages about device problems for the pre-join screen and the meeting. */
  problemMessages(): string[] {
    const p = this.problems.value;
    const out: string[] = [];
    if (p.microphone) out.push(problemMessage("microphone", p.microphone, this.t));
    if (p.camera && this.cameraOn.value) out.push(problemMessage("camera", p.camera, this.t));
    return out;
  }

  /** Camera on/off, before or during the meeting; off releases the camera. */
  async setCameraOn(on: boolean) {
    if (on && this.phase.value === "meeting" && !this.mayStartVideo.value) {
      return this.#notice(this.t("room.noVideoAllowed"));
    }
    if (on) this.unmutePrompt.value = null;
    this.cameraOn.value = on;
    if (!on) {
      const old = this.localVideo.value;
      this.localVideo.value = null;
      await this.#media?.setCamera(null);
      this.#release(old);
    } else {
      const got = await this.#capture({ audio: false, video: true });
      if (!got.video) {
        this.cameraOn.value = false;
        this.#notice(problemMessage("camera", got.problems.camera ?? "failed", this.t));
      } else await this.#media?.setCamera(got.video);
    }
    this.#sendState();
  }

  async setAudioMuted(muted: boolean) {
    if (!muted && this.phase.value === "meeting" && !this.mayUnmute.value) {
      return this.#notice(this.t("room.noUnmuteAllowed"));
    }
    if (!muted) this.unmutePrompt.value = null;
    if (!muted && !this.localAudio.value) {
      const got = await this.#capture({ audio: true, video: false });
      if (!got.audio) {
        this.#notice(problemMessage("microphone", got.problems.microphone ?? "failed", this.t));
        return;
      }
      this.audioMuted.value = false;
      await this.#media?.setMicrophone(got.audio);
    }
    this.audioMuted.value = muted;
    await this.#media?.setAudioMuted(muted);
    this.#sendState();
  }

  /**
   * Puts a track from the device just chosen in place of the current one (the new one published
   * before the old one stops). When capture fails the old track stays and the person is told why;
   * answers whether it switched.
   */
  async #switchDevice(device: "microphone" | "camera"): Promise<boolean> {
    const audio = device === "microphone";
    const local = audio ? this.localAudio : this.localVideo;
    const old = local.value;
    const got = await this.#captureChosen({ audio, video: !audio });
    const raw = audio ? got.audio : got.video;
    if (!raw) {
      this.#notice(problemMessage(device, got.problems[device] ?? "failed", this.t));
      return false;
    }
    const track = await this.#withEffect(audio ? "audio" : "video", raw);
    local.value = track;
    await (audio ? this.#media?.setMicrophone(track) : this.#media?.setCamera(track));
    this.#release(old);
    return true;
  }

  // ---- effects (lib/meetings/client/effects/) ---------------------------------------------------

  /** Background: none, blur or one of BACKGROUNDS; remembered, and applied to the camera now. */
  async setVideoEffect(choice: VideoEffectChoice, background = this.background.value) {
    batch(() => {
      this.videoEffect.value = choice;
      this.background.value = background;
    });
    savePrefs({ videoEffect: choice, background });
    await this.#syncEffect("video");
  }

  /** Enhanced (RNNoise) noise suppression on the microphone; remembered, and applied now. */
  async setNoiseSuppression(on: boolean) {
    this.noiseSuppression.value = on;
    savePrefs({ noiseSuppression: on });
    await this.#syncEffect("audio");
  }

  #wanted(kind: "audio" | "video"): boolean {
    return kind === "audio" ? this.noiseSuppression.value : this.videoEffect.value !== "none";
  }

  #setEffectState(kind: "audio" | "video", state: EffectState) {
    this.effectState.value = { ...this.effectState.value, [kind]: state };
  }

  /** `raw` through the chosen effect (a new track), or `raw` itself when none is on or it failed. */
  async #withEffect(kind: "audio" | "video", raw: MediaStreamTrack | null): Promise<MediaStreamTrack | null> {
    if (!raw || !this.#wanted(kind)) return raw;
    this.#setEffectState(kind, { status: "loading" });
    try {
      const m = await (this.#effectsModule ??= import("./effects/effects.ts"));
      const choice = this.videoEffect.value;
      const effect: RunningEffect = kind === "audio"
        ? await m.NoiseSuppression.create(raw)
        : await m.VideoEffect.create(
          raw,
          m.backgroundFor(choice === "image" ? "image" : "blur", this.background.value),
        );
      this.#effects.set(effect.track, effect);
      this.#setEffectState(kind, { status: "on" });
      return effect.track;
    } catch (err) {
      this.#effectsModule = null; // a later try downloads again
      log(`the ${kind} effect failed`, err);
      batch(() => {
        if (kind === "audio") this.noiseSuppression.value = false;
        else this.videoEffect.value = "none";
        this.#setEffectState(kind, {
          status: "failed",
          message: kind === "audio" ? this.t("room.noiseFailed") : this.t("room.effectFailed"),
        });
      });
      return raw;
    }
  }

  /** Makes the live track match the choice: starts, changes or stops the effect, swapping what is published. */
  async #syncEffect(kind: "audio" | "video") {
    const local = kind === "audio" ? this.localAudio : this.localVideo;
    const cur = local.value;
    const running = cur && this.#effects.get(cur);
    if (!this.#wanted(kind)) this.#setEffectState(kind, { status: "off" });
    if (!cur || (!running && !this.#wanted(kind))) return;
    if (running && this.#wanted(kind)) {
      if (!running.setBackground) return;
      const m = await this.#effectsModule!;
      const choice = this.videoEffect.value === "image" ? "image" : "blur";
      return await running.setBackground(m.backgroundFor(choice, this.background.value));
    }
    const raw = running ? running.source : cur;
    const next = running ? raw : await this.#withEffect(kind, raw);
    if (local.value !== cur) return next !== raw ? this.#release(next) : undefined; // replaced meanwhile
    if (next === cur) return;
    local.value = next;
    await (kind === "audio" ? this.#media?.setMicrophone(next) : this.#media?.setCamera(next));
    running?.stop({ keepSource: true });
  }

  /** Stops a local track, and the effect (its loop, worklet, AudioContext) when it is an effect's output. */
  #release(track: MediaStreamTrack | null) {
    const effect = track && this.#effects.get(track);
    if (effect) effect.stop();
    else stopTrack(track);
  }

  async chooseMicrophone(deviceId: string) {
    this.micId.value = deviceId;
    savePrefs({ micId: deviceId });
    if (await this.#switchDevice("microphone")) this.#sendState();
  }

  async chooseCamera(deviceId: string) {
    this.camId.value = deviceId;
    savePrefs({ camId: deviceId });
    if (this.cameraOn.value) await this.#switchDevice("camera");
  }

  chooseSpeaker(deviceId: string) {
    this.speakerId.value = deviceId;
    savePrefs({ speakerId: deviceId });
    this.speakerTest.value = "idle";
  }

  // ---- joining and the meeting ------------------------------------------------------------------

  /** Connects the meeting socket, then media. Media problems leave the person in the meeting. */
  async join() {
    if (this.phase.value !== "prejoin" || this.props.preview) return;
    this.phase.value = "joining";
    this.rememberJoinChoices();
    // Fetched while the socket says hello; #startMedia awaits it.
    this.#mediaModule ??= import("./janus.ts");
    // Join is enabled as soon as the page hydrates; a quick click must still publish the camera
    // and microphone, so wait for the capture the preview started.
    // A failed capture was already reported to startPreview's caller; joining goes on without it.
    await this.#previewReady?.catch(() => {});
    this.#watchConnection();
    let firstWelcome: (w: WelcomeMessage) => void;
    const welcomed = new Promise<WelcomeMessage>((r) => (firstWelcome = r));
    const socket = new MeetingSocket(socketUrl(this.props.socketPath, location), {
      welcome: (msg, reconnected) => {
        batch(() => {
          this.participantId.value = msg.participantId;
          this.#welcomeRole.value = msg.you.role;
          this.roster.value = rosterFromWelcome(msg);
          this.settings.value = settingsFrom(this.settings.value, msg);
          const lobby = msg.lobby ?? [];
          if (lobby.length > this.lobby.value.length) this.unseenKnocks.value += lobby.length - this.lobby.value.length;
          this.lobby.value = lobby;
          this.chat.value = addChat(this.chat.value, msg.chat ?? [], {
            open: this.showChat.value || !reconnected,
            mine: msg.participantId,
          });
          if (msg.recording && !this.recording.value) this.recordingNotice.value = true;
          this.recording.value = msg.recording ?? false;
        });
        if (!reconnected) firstWelcome(msg);
      },
      message: (msg) => this.#onMessage(msg),
      ...this.#socketEnds(CLOSE_CODES.removed, "removed", this.t("room.removed")),
      slowed: () => this.#notice(this.t("room.refused.slowed")),
      error: (kind, message, detail) => {
        if (kind !== "user") return log("server error", message);
        this.#notice(sayFrom(this.props.i18n, detail?.messageKey, message));
        if (detail?.action === "record") this.recordingBusy.value = false;
        // The server kept my host mute: turn the microphone (camera) off again here too.
        if (detail?.code === "muted-by-host" && detail.action === "state") this.#enforceHostMute();
      },
      received: (m) => this.#record(m),
    });
    this.#socket = socket;
    socket.start();
    const welcome = await welcomed;
    if (this.phase.value !== "joining") return;
    // The host's "mute on entry": the microphone is off before anything is published.
    if (welcome.settings.muteOnEntry && !isHostRole(welcome.you.role) && !this.audioMuted.value) {
      await this.setAudioMuted(true);
      this.#notice(this.t("room.joinedMuted"));
    }
    this.phase.value = "meeting";
    this.#sendState();
    await this.#startMedia(welcome.participantId);
  }

  async #startMedia(participantId: string) {
    if (this.phase.value !== "meeting") return;
    let MediaSession: typeof import("./janus.ts").MediaSession;
    try {
      ({ MediaSession } = await (this.#mediaModule ??= import("./janus.ts")));
    } catch (err) {
      this.#mediaModule = null; // a later rejoin tries the download again
      log("loading the media module failed", err);
      this.mediaStatus.value = "off";
      return this.#notice(this.t("room.mediaLoadFailed"));
    }
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
          if (reason === "kicked") this.#close("removed", this.t("room.removed"));
          // "destroyed": the socket's meeting-ended says why; media is closed there.
        },
        // After every (re)publish the server needs the mids to moderate (and keep a host mute).
        published: () => this.#sendState(),
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
        err instanceof AccessError ? err.message : this.t("room.mediaConnectFailed"),
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
      let message = this.t("room.mediaUnavailable");
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
    if (!this.#media) return this.#notice(this.t("room.shareNeedsMedia"));
    let track: MediaStreamTrack | null;
    try {
      track = await captureScreen();
    } catch (err) {
      return this.#notice(this.t("room.screenFailed", { error: (err as Error).message }));
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
      this.#notice(this.t("room.shareFailed"));
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
    if (this.#socket?.send({ type: "end-meeting" })) return;
    const res = await fetch(`/m/${this.props.meeting.meetingId}/end`, {
      method: "POST",
      headers: { accept: "application/json" },
      credentials: "same-origin",
    });
    await res.body?.cancel();
    if (!res.ok && res.status !== 303 && !res.redirected) this.#notice(this.t("room.endFailed"));
  }

  // ---- running the meeting ----------------------------------------------------------------------

  /** Sends a client message; tells the person when the meeting connection is down. */
  #act(msg: Record<string, unknown> & { type: string }): boolean {
    const sent = this.#socket?.send(msg) ?? false;
    if (!sent) this.#notice(this.t("room.notConnected"));
    return sent;
  }

  admit(admissionId: string) {
    this.#act({ type: "lobby-admit", admissionId });
  }
  deny(admissionId: string) {
    this.#act({ type: "lobby-deny", admissionId });
  }
  admitAll() {
    this.#act({ type: "lobby-admit-all" });
  }
  denyAll() {
    this.#act({ type: "lobby-deny-all" });
  }
  muteParticipant(participantId: string) {
    this.#act({ type: "mute", participantId });
  }
  /** Unmutes a caller (phone participants cannot answer an ask-unmute). */
  unmuteParticipant(participantId: string) {
    this.#act({ type: "unmute", participantId });
  }
  /** Calls a number (E.164, `+…`) or a `sip:` address into the meeting; false (with a notice) when invalid. */
  dialOut(target: string, name: string): boolean {
    const raw = target.trim();
    // People type numbers with spaces, dashes and brackets: the server takes only + and digits.
    const t = raw.startsWith("+") ? raw.replace(/[\s().-]/g, "") : raw;
    if (!DIAL_OUT_TARGET.test(t)) {
      this.#notice(this.t("room.dialTargetInvalid"));
      return false;
    }
    if (name.trim().length > 60) {
      this.#notice(this.t("room.nameTooLong"));
      return false;
    }
    return this.#act({ type: "dial-out", target: t, name: name.trim() });
  }
  muteAll(allowUnmute: boolean) {
    this.#act({ type: "mute-all", allowUnmute });
  }
  askToUnmute(participantId: string, media: "audio" | "video" = "audio") {
    this.#act({ type: "ask-unmute", participantId, media });
  }
  stopVideo(participantId: string) {
    this.#act({ type: "stop-video", participantId });
  }
  removeParticipant(participantId: string) {
    this.#act({ type: "remove", participantId });
  }
  setRole(participantId: string, role: "cohost" | "participant") {
    this.#act({ type: "set-role", participantId, role });
  }
  transferHost(participantId: string) {
    this.#act({ type: "transfer-host", participantId });
  }
  rename(participantId: string, name: string) {
    const trimmed = name.trim();
    if (!trimmed || trimmed.length > 60) return this.#notice(this.t("room.nameLength"));
    this.#act({ type: "rename", participantId, name: trimmed });
  }
  changeSettings(change: Partial<RoomSettings>) {
    this.#act({ type: "settings", ...change });
  }
  toggleHand() {
    this.#act({ type: this.handRaised.value ? "lower-hand" : "raise-hand" });
  }
  lowerHand(participantId: string) {
    this.#act({ type: "lower-hand", participantId });
  }
  lowerAllHands() {
    this.#act({ type: "lower-all-hands" });
  }
  react(emoji: string) {
    this.#act({ type: "react", emoji });
  }

  /** Sends a chat message to everyone or to `chatTo`; answers whether it went out (keep the draft if not). */
  sendChat(text: string): boolean {
    const problem = chatDraftProblem(text);
    if (problem === "empty") return false;
    if (problem === "too-long") {
      this.#notice(this.t("room.messageTooLong"));
      return false;
    }
    const to = this.chatTo.value;
    const allowed = chatAllowed(this.settings.value, this.role.value, to ? this.roster.value.get(to) ?? null : null);
    if (!allowed.ok) {
      this.#notice(this.t(allowed.why));
      return false;
    }
    return this.#act(to ? { type: "chat", text, to } : { type: "chat", text });
  }

  setChatOpen(open: boolean) {
    if (open) this.#onlyPanelOnNarrow("chat");
    this.showChat.value = open;
    if (open) this.chat.value = markChatRead(this.chat.value);
  }

  setParticipantsOpen(open: boolean) {
    if (open) this.#onlyPanelOnNarrow("participants");
    this.showParticipants.value = open;
    if (open) this.unseenKnocks.value = 0;
  }

  /** Opens or closes a side panel (on a phone, a sheet: opening one closes the others). */
  togglePanel(panel: Panel) {
    if (panel === "chat") return this.setChatOpen(!this.showChat.value);
    if (panel === "participants") return this.setParticipantsOpen(!this.showParticipants.value);
    const shown = panel === "info" ? this.showInfo : this.showSettings;
    if (!shown.value) this.#onlyPanelOnNarrow(panel);
    shown.value = !shown.value;
  }

  /** Side by side on wide screens; on narrow ones panels are sheets over the video, one at a time. */
  #onlyPanelOnNarrow(keep: Panel) {
    if (!globalThis.matchMedia?.(NARROW_QUERY).matches) return;
    batch(() => {
      if (keep !== "chat") this.showChat.value = false;
      if (keep !== "participants") this.showParticipants.value = false;
      if (keep !== "info") this.showInfo.value = false;
      if (keep !== "settings") this.showSettings.value = false;
    });
  }

  /** What a keyboard shortcut does (the island listens for the keys, lib/meetings/client/shortcuts.ts). */
  runShortcut(action: ShortcutAction) {
    const muted = this.audioMuted.value || !this.localAudio.value;
    const cameraOn = this.cameraOn.value && this.localVideo.value !== null;
    switch (action) {
      case "mute":
        return void this.setAudioMuted(!muted);
      case "camera":
        return void this.setCameraOn(!cameraOn);
      case "screen":
        return this.canShareScreen.value ? void this.toggleScreen() : undefined;
      case "hand":
        return void this.toggleHand();
      case "chat":
        return this.togglePanel("chat");
      case "participants":
        return this.togglePanel("participants");
      case "leave":
        return this.leave();
      case "record":
        return this.canRecord.value ? this.toggleRecording() : undefined;
      case "help":
        this.shortcutsOpen.value = true;
    }
  }

  /** Whether I may start and stop recording: the meeting's setting and my role (guests never). */
  readonly canRecord = computed(() => {
    const role = this.role.value;
    const who = this.settings.value.recording;
    if (who === "off" || role === "guest") return false;
    return who === "everyone" || isHostRole(role);
  });

  /** Starts or stops recording; the `recording` message that follows is the answer. */
  toggleRecording() {
    if (this.recordingBusy.value || !this.#socket) return;
    this.recordingBusy.value = true;
    this.#socket.send({ type: "record", on: !this.recording.value });
  }

  /** The recording notice's "Got it". */
  dismissRecordingNotice() {
    this.recordingNotice.value = false;
  }

  setShortcut(action: ShortcutAction, combo: KeyCombo) {
    this.#saveShortcuts({ ...this.shortcuts.value, keys: { ...this.shortcuts.value.keys, [action]: combo } });
  }

  setShortcutsEnabled(enabled: boolean) {
    this.#saveShortcuts({ ...this.shortcuts.value, enabled });
  }

  resetShortcuts() {
    this.#saveShortcuts({ enabled: true, keys: { ...DEFAULT_SHORTCUTS } });
  }

  #saveShortcuts(prefs: ShortcutPrefs) {
    this.shortcuts.value = prefs;
    saveShortcuts(prefs);
  }

  #announce(text: string) {
    this.announcement.value = { n: (this.announcement.value?.n ?? 0) + 1, text };
  }

  /**
   * Phones and tablets (a coarse pointer) pause the camera while the meeting is in the background,
   * as Meet and Zoom do there: the track is disabled (no frames to encode or send), the others see
   * the avatar, and it resumes when the page is visible again; the microphone keeps going. Desktops
   * keep sending, since a meeting in a background tab is normal there.
   */
  #pauseVideoInBackground() {
    if (this.phase.value !== "meeting" || !globalThis.matchMedia?.("(pointer: coarse)").matches) return;
    const hidden = document.visibilityState === "hidden";
    const track = this.localVideo.value;
    if (track) track.enabled = !hidden;
    if (this.videoPaused.value === hidden) return;
    this.videoPaused.value = hidden;
    this.#sendState();
  }

  /** The next camera (front / back on a phone), for the camera flip button. */
  async flipCamera() {
    const cams = this.devices.value.cameras;
    if (cams.length < 2) return;
    const at = cams.findIndex((c) => c.deviceId === this.camId.value);
    await this.chooseCamera(cams[(at + 1) % cams.length].deviceId);
  }

  /** The person answered the host's "please unmute" prompt. */
  async answerUnmutePrompt(accept: boolean) {
    const prompt = this.unmutePrompt.value;
    this.unmutePrompt.value = null;
    if (!prompt || !accept) return;
    if (prompt.media === "audio") await this.setAudioMuted(false);
    else await this.setCameraOn(true);
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
    document.removeEventListener("visibilitychange", this.#onVisibility);
    if (this.phase.value === "meeting" || this.phase.value === "joining" || this.phase.value === "lobby") {
      this.#close("left", "");
    } else this.#stopLocal();
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
      videoPaused: this.videoPaused.value,
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
      role: this.role.value,
      settings: this.settings.value,
      lobby: this.lobby.value,
      dialOuts: this.dialOuts.value.map((d) => ({ callId: d.callId, status: d.status, name: d.name })),
      lobbyStatus: this.lobbyStatus.value?.status ?? null,
      hands: this.hands.value.map((p) => p.participantId),
      mayUnmute: this.mayUnmute.value,
      unmutePrompt: this.unmutePrompt.value,
      chat: this.chat.value.entries.filter((e): e is ChatMessage => !isSystemEntry(e)).map((e) => ({
        id: e.id,
        from: e.from.participantId,
        to: e.to?.participantId ?? null,
        text: e.text,
      })),
      chatSystem: this.chat.value.entries.filter(isSystemEntry).map((e) => e.system),
      recording: this.recording.value,
      recordingNotice: this.recordingNotice.value,
      canRecord: this.canRecord.value,
      chatUnread: this.chat.value.unread,
      reactions: this.reactions.value.map((r) => ({ participantId: r.participantId, emoji: r.emoji })),
      publishedMids: this.#media?.publishedMids() ?? {},
    };
  }

  /** Every server message this page received (chat text included, no secrets), oldest first. */
  received(): unknown[] {
    return [...this.#received];
  }

  /** Test hook: sends a raw client message on the meeting socket (to prove the server checks it). */
  sendRaw(msg: Record<string, unknown>): boolean {
    return this.#socket?.send(msg) ?? false;
  }

  /** Test hook: publishes live microphone audio whatever the mute state (only the SFU can stop it). */
  async forceAudio(): Promise<boolean> {
    const media = this.#media;
    if (!media) return false;
    let track = this.localAudio.value;
    if (!track || track.readyState === "ended") {
      const got = await this.#captureChosen({ audio: true, video: false });
      track = got.audio;
      if (!track) return false;
      this.localAudio.value = track;
    }
    await media.forceAudio(track);
    return true;
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
    const live = feedId !== null && this.#media?.status !== "closed";
    const mids = live ? this.#media!.publishedMids() : {};
    this.#socket?.sendState({
      audio: !!this.localAudio.value && !this.audioMuted.value,
      video: !!this.localVideo.value && this.cameraOn.value && !this.videoPaused.value,
      screen: !!this.localScreen.value,
      ...(live ? { feedId } : {}),
      ...(Object.keys(mids).length ? { mids } : {}),
    });
  }

  #onMessage(msg: MeetingMessage) {
    const mine = this.participantId.value;
    const before = this.roster.value;
    batch(() => {
      this.roster.value = applyMeetingMessage(this.roster.value, msg);
      // Callers' talking comes from the gateway (state.speaking), browsers' from their audio levels.
      if (msg.type === "participant-updated" || msg.type === "participant-joined") {
        const p = msg.data.participant;
        const was = before.get(p.participantId)?.state.speaking ?? false;
        if (isPhone(p) && (p.state.speaking ?? false) !== was) {
          this.speaker.value = speakerReducer(this.speaker.value, {
            type: p.state.speaking ? "talking" : "stopped-talking",
            participantId: p.participantId,
          });
        }
      }
      switch (msg.type) {
        case "participant-left":
          this.speaker.value = speakerReducer(this.speaker.value, {
            type: "left",
            participantId: msg.data.participantId,
          });
          if (this.chatTo.value === msg.data.participantId) this.chatTo.value = null;
          break;
        case "settings-changed":
          this.settings.value = settingsFrom(this.settings.value, msg);
          break;
        case "dial-in-guessing":
          this.#notice(
            this.t("room.guessing", { failures: msg.data.failures, minutes: msg.data.windowMinutes }),
          );
          break;
        case "dial-out-status": {
          const rest = this.dialOuts.value.filter((d) => d.callId !== msg.data.callId);
          this.dialOuts.value = [...rest, msg.data].slice(-10);
          break;
        }
        case "lobby-knock":
        case "lobby-left": {
          const before = this.lobby.value;
          this.lobby.value = applyLobby(before, msg);
          if (
            msg.type === "lobby-knock" && !this.showParticipants.value &&
            !before.some((e) => e.admissionId === msg.data.entry.admissionId)
          ) {
            this.unseenKnocks.value++;
          }
          if (!this.lobby.value.length) this.unseenKnocks.value = 0;
          break;
        }
        case "chat":
          this.chat.value = addChat(this.chat.value, [msg.data.message], { open: this.showChat.value, mine });
          break;
        case "recording": {
          const on = msg.data.recording;
          this.recordingBusy.value = false;
          if (on !== this.recording.value) {
            this.recording.value = on;
            this.recordingNotice.value = on;
            // In the chat too, where the meeting's history is read.
            const entry = { id: msg.id, at: msg.at, system: on ? "recording-on" : "recording-off" } as const;
            this.chat.value = addChat(this.chat.value, [entry], { open: this.showChat.value, mine });
            this.#announce(this.t(on ? "room.recordingStarted" : "room.recordingStopped"));
          }
          break;
        }
        case "reaction": {
          // Replayed reactions (after a reconnect) that are long gone are not shown.
          const age = Date.now() - Date.parse(msg.at);
          if (!(age > REACTION_SHOW_MS)) {
            this.reactions.value = addReaction(this.reactions.value, {
              key: ++this.#reactionKey,
              participantId: msg.data.participantId,
              emoji: msg.data.emoji,
            }, Date.now());
            this.#scheduleReactionExpiry();
          }
          break;
        }
      }
    });
    const said = announcementFor(msg, before, mine, this.t);
    if (said) this.#announce(said);
    const effect = myModeration(msg, mine, this.t);
    if (!effect) return;
    if (effect.notice) this.#notice(effect.mute ? this.t("room.hostMutedYou") : effect.notice);
    if (effect.askedTo) {
      const by = msg.type === "unmute-requested" ? msg.data.by.name : this.t("room.theHost");
      this.#askedMedia.value = { ...this.#askedMedia.value, [effect.askedTo]: true };
      this.unmutePrompt.value = { media: effect.askedTo, by };
    }
    if (effect.mute) {
      this.#askedMedia.value = { ...this.#askedMedia.value, audio: false };
      this.#enforceHostMute("audio");
    }
    if (effect.stopVideo) {
      this.#askedMedia.value = { ...this.#askedMedia.value, video: false };
      this.#enforceHostMute("video");
    }
    // My unmute after a host mute went through: the "asked" permission is used up.
    if (effect.me && !effect.me.mutedByHost && this.#askedMedia.value.audio && effect.me.state.audio) {
      this.#askedMedia.value = { ...this.#askedMedia.value, audio: false };
    }
  }

  /** A host muted me (or stopped my video): turn it off here too and tell the server (it expects it). */
  #enforceHostMute(media: "audio" | "video" | "both" = "both") {
    if (media !== "video" && !this.audioMuted.value) {
      this.audioMuted.value = true;
      this.#media?.setAudioMuted(true).catch((err) => log("muting failed", err));
    }
    if (media !== "audio" && this.cameraOn.value) {
      this.setCameraOn(false).catch((err) => log("stopping the camera failed", err));
      return; // setCameraOn sends the state
    }
    this.#sendState();
  }

  #scheduleReactionExpiry() {
    if (this.#reactionTimer !== undefined) return;
    this.#reactionTimer = setInterval(() => {
      this.reactions.value = expireReactions(this.reactions.value, Date.now());
      if (!this.reactions.value.length) {
        clearInterval(this.#reactionTimer);
        this.#reactionTimer = undefined;
      }
    }, 500);
  }

  #record(m: ServerMessage) {
    if (this.#received.length < 2000) this.#received.push(m);
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
        this.banner.value = { kind: "reconnecting", text: this.t("room.reconnectingBanner") };
      } else if (this.#wasReconnecting && s === "open" && m !== "connecting") {
        this.#wasReconnecting = false;
        this.banner.value = { kind: "reconnected", text: this.t("room.reconnectedBanner") };
        this.#bannerTimer = setTimeout(() => (this.banner.value = null), 3000);
      }
    });
  }

  /**
   * What the lobby socket and the meeting socket both do with their status, the meeting's end and a
   * refusal: the one close code each socket expects gets its own phase and text, any other refusal
   * says the server's reason.
   */
  #socketEnds(expected: number, phase: "denied" | "removed", text: string) {
    return {
      status: (s: SocketStatus) => (this.socketStatus.value = s),
      ended: (reason: string) => this.#close("ended", reason || this.t("room.hostEnded")),
      refused: (code: number, reason: string) =>
        code === expected ? this.#close(phase, text) : this.#close("refused", reason || this.t("room.noLongerIn")),
    };
  }

  #close(phase: "left" | "ended" | "refused" | "removed" | "denied", reason: string) {
    if (CLOSED_PHASES.has(this.phase.value)) return;
    clearInterval(this.#reactionTimer);
    this.#reactionTimer = undefined;
    this.#media?.close({ serverEnded: phase !== "left" });
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
      this.unmutePrompt.value = null;
      this.reactions.value = [];
    });
  }

  #stopLocal() {
    this.#release(this.localAudio.value);
    this.#release(this.localVideo.value);
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

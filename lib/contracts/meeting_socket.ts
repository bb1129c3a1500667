// The meeting socket's messages, shared by the server (lib/meetings/hub.ts) and the in-meeting
// island. Plain types plus zod schemas for what clients send; nothing here may import server code.
// docs/meeting-protocol.md describes every message.

import { z } from "zod";
import { cleanLine } from "../common/text.ts";
import { meetingSettingsSchema } from "../meetings/settings.ts";

export { CLOSE } from "./close_codes.ts";
export { FRAME_SEPARATOR, frameMessages } from "./socket_frames.ts";

/** Largest text frame a client may send. */
export const MAX_MESSAGE_BYTES = 16 * 1024;

/** Longest chat message, in characters (UTF-16 code units, as `String.length` counts). */
export const MAX_CHAT_CHARS = 4000;

/** Longest display name a host (or the person) may set. */
export const MAX_NAME_CHARS = 60;

/** The reactions anyone may send; anything else is a protocol error. */
export const REACTIONS = ["👍", "👏", "❤️", "😂", "😮", "🎉"] as const;
export type Reaction = typeof REACTIONS[number];

/** Reactions a participant may send per window before getting a user error (`rate-limited`). */
export const REACTION_LIMIT = { count: 5, windowMs: 10_000 } as const;

/** How long a person a host denied must wait before knocking again. */
export const DENIED_RETRY_MS = 10 * 60 * 1000;

/** How many chat messages `welcome.chat` carries at most. */
export const CHAT_HISTORY_LIMIT = 200;

export type ParticipantRole = "host" | "cohost" | "participant" | "guest";

export interface MediaState {
  audio: boolean;
  video: boolean;
  screen: boolean;
  /** Phone participants only: the gateway hears them talking right now (the browser measures web audio itself). */
  speaking?: boolean;
}

/** How someone takes part: in a browser, or by phone / SIP through the gateway (audio only, no socket). */
export type ParticipantKind = "web" | "phone";

/** Who may send chat: everyone; only hosts/co-hosts (others may still write privately to them); nobody but hosts. */
export type ChatPolicy = "everyone" | "hosts" | "off";

/** The meeting's live settings, as everyone in it sees them. Hosts and co-hosts change them with `settings`. */
export interface RoomSettings {
  /** No new joins except through the lobby (hosts still admit). */
  locked: boolean;
  /** Guests wait in the lobby. */
  lobby: boolean;
  /** With `lobby`: signed-in participants wait too (hosts and co-hosts never wait). */
  lobbyForAll: boolean;
  chat: ChatPolicy;
  /** Participants muted (or video-stopped) by a host may unmute themselves. */
  allowUnmute: boolean;
  screenShare: "everyone" | "hosts";
  /** Participants and guests join with their microphone off (they may turn it on). */
  muteOnEntry: boolean;
  /** Phones and SIP room systems may dial in (when the server has dial-in). */
  dialIn: boolean;
  /** Who may start and stop recording: hosts and co-hosts, every signed-in participant, or nobody. */
  recording: "hosts" | "everyone" | "off";
}

/** What every participant may know about another. */
export interface ParticipantView {
  participantId: string;
  name: string;
  role: ParticipantRole;
  /** "phone": a caller through the SIP gateway (audio only; `state.speaking` says when they talk). Absent = "web". */
  kind?: ParticipantKind;
  state: MediaState;
  /** The participant's VideoRoom publisher id once they publish, else null. */
  feedId: number | null;
  joinedAt: string;
  /** A host muted their microphone at the SFU; it stays muted (also after republishing) until lifted. */
  mutedByHost: boolean;
  /** A host stopped their camera at the SFU. */
  videoStoppedByHost: boolean;
  /** When they raised their hand (the queue is ordered by this), or null. */
  handRaisedAt: string | null;
}

/** Someone waiting in the lobby (only hosts and co-hosts see these). */
export interface LobbyEntry {
  admissionId: string;
  name: string;
  /** true: signed in with an account; false: a guest. */
  signedIn: boolean;
  knockedAt: string;
  /** A caller waiting on the phone (hold music); admitting lets them into the audio. */
  phone?: boolean;
}

/** A chat message as clients receive it. `text` is raw: clients escape it (and may linkify). */
export interface ChatMessage {
  /** The meeting message id that carried it (unique and ordered within the meeting). */
  id: number;
  at: string;
  from: { participantId: string; name: string };
  /** Set for a private message: only the sender and this person ever receive it. */
  to: { participantId: string; name: string } | null;
  text: string;
}

// ---- client → server -------------------------------------------------------------------------

const participantId = z.string().min(1).max(64);

export const helloSchema = z.object({
  type: z.literal("hello"),
  /** Set when reconnecting: the participantId the previous `welcome` gave. */
  participantId: participantId.optional(),
  /** Set when reconnecting: the id of the last meeting message seen. */
  lastId: z.number().int().min(0).optional(),
}).strict();

const mid = z.string().min(1).max(16);

export const stateSchema = z.object({
  type: z.literal("state"),
  audio: z.boolean(),
  video: z.boolean(),
  screen: z.boolean(),
  feedId: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullable().optional(),
  /** The `mid`s of your published streams (from the VideoRoom `configured` answer); needed for host muting. */
  mids: z.object({ audio: mid.optional(), video: mid.optional(), screen: mid.optional() }).strict().optional(),
}).strict();

export const pingSchema = z.object({ type: z.literal("ping") }).strict();

// Lobby (hosts and co-hosts)
export const lobbyAdmitSchema = z.object({ type: z.literal("lobby-admit"), admissionId: participantId }).strict();
export const lobbyDenySchema = z.object({ type: z.literal("lobby-deny"), admissionId: participantId }).strict();
export const lobbyAdmitAllSchema = z.object({ type: z.literal("lobby-admit-all") }).strict();
export const lobbyDenyAllSchema = z.object({ type: z.literal("lobby-deny-all") }).strict();

// Host controls
export const endMeetingSchema = z.object({ type: z.literal("end-meeting") }).strict();
export const muteSchema = z.object({ type: z.literal("mute"), participantId }).strict();
export const muteAllSchema = z.object({ type: z.literal("mute-all"), allowUnmute: z.boolean() }).strict();
export const askUnmuteSchema = z.object({
  type: z.literal("ask-unmute"),
  participantId,
  /** Which device to ask about; "audio" when absent. */
  media: z.enum(["audio", "video"]).optional(),
}).strict();
export const stopVideoSchema = z.object({ type: z.literal("stop-video"), participantId }).strict();
export const removeSchema = z.object({ type: z.literal("remove"), participantId }).strict();
export const setRoleSchema = z.object({
  type: z.literal("set-role"),
  participantId,
  role: z.enum(["cohost", "participant"]),
}).strict();
export const transferHostSchema = z.object({ type: z.literal("transfer-host"), participantId }).strict();
export const renameSchema = z.object({
  type: z.literal("rename"),
  participantId,
  name: z.string().overwrite(cleanLine).trim().min(1).max(MAX_NAME_CHARS),
}).strict();
/** The live settings hosts may change in the meeting, checked by the one meeting-settings schema. */
export const settingsSchema = meetingSettingsSchema.pick({
  locked: true,
  lobby: true,
  lobbyForAll: true,
  chat: true,
  allowUnmute: true,
  screenShare: true,
  dialIn: true,
  recording: true,
}).extend({ type: z.literal("settings") }).strict();

/** Hosts unmute a phone participant (callers cannot answer an ask-unmute); web participants are asked instead. */
export const unmuteSchema = z.object({ type: z.literal("unmute"), participantId }).strict();

export { DIAL_OUT_TARGET } from "../telephony/dial_target.ts";

/** Hosts call a phone number or SIP address into the meeting (the target is checked by the server: a user error). */
export const dialOutSchema = z.object({
  type: z.literal("dial-out"),
  target: z.string().max(256),
  /** The caller's display name; the masked number when empty. */
  name: z.string().overwrite(cleanLine).max(MAX_NAME_CHARS * 2),
}).strict();

// Hands and reactions
export const raiseHandSchema = z.object({ type: z.literal("raise-hand") }).strict();
export const lowerHandSchema = z.object({
  type: z.literal("lower-hand"),
  /** Someone else's hand (hosts and co-hosts only); your own when absent. */
  participantId: participantId.optional(),
}).strict();
export const lowerAllHandsSchema = z.object({ type: z.literal("lower-all-hands") }).strict();
export const reactSchema = z.object({
  type: z.literal("react"),
  emoji: z.enum(REACTIONS),
}).strict();

/** Start (`on: true`) or stop recording; who may is the meeting's `recording` setting (checked by the server). */
export const recordSchema = z.object({ type: z.literal("record"), on: z.boolean() }).strict();

// Chat (length is checked by the server so that too long text is a user error, not a protocol error)
export const chatSchema = z.object({
  type: z.literal("chat"),
  text: z.string(),
  /** A participantId for a private message; everyone when absent. */
  to: participantId.optional(),
}).strict();

export const clientMessageSchema = z.discriminatedUnion("type", [
  helloSchema,
  stateSchema,
  pingSchema,
  lobbyAdmitSchema,
  lobbyDenySchema,
  lobbyAdmitAllSchema,
  lobbyDenyAllSchema,
  endMeetingSchema,
  muteSchema,
  muteAllSchema,
  askUnmuteSchema,
  stopVideoSchema,
  removeSchema,
  setRoleSchema,
  transferHostSchema,
  renameSchema,
  settingsSchema,
  unmuteSchema,
  dialOutSchema,
  raiseHandSchema,
  lowerHandSchema,
  lowerAllHandsSchema,
  reactSchema,
  chatSchema,
  recordSchema,
]);

export type HelloMessage = z.infer<typeof helloSchema>;
export type StateMessage = z.infer<typeof stateSchema>;
export type PingMessage = z.infer<typeof pingSchema>;
export type SettingsMessage = z.infer<typeof settingsSchema>;
export type ChatSendMessage = z.infer<typeof chatSchema>;
export type ClientMessage = z.infer<typeof clientMessageSchema>;
export type ClientMessageType = ClientMessage["type"];

/** Client messages only hosts and co-hosts may send (some further limited to the host, see the docs). */
export const HOST_ACTIONS = [
  "lobby-admit",
  "lobby-deny",
  "lobby-admit-all",
  "lobby-deny-all",
  "end-meeting",
  "mute",
  "mute-all",
  "ask-unmute",
  "stop-video",
  "remove",
  "set-role",
  "transfer-host",
  "settings",
  "lower-all-hands",
  "unmute",
  "dial-out",
] as const satisfies readonly ClientMessageType[];

// ---- server → client -------------------------------------------------------------------------

export interface WelcomeMessage {
  type: "welcome";
  participantId: string;
  you: { name: string; role: ParticipantRole };
  meeting: { meetingId: string; title: string };
  /** Everyone present (including you) as of `lastId` or later; later messages may repeat changes. */
  participants: ParticipantView[];
  /** Messages with ids greater than this follow, replayed first and then live. */
  lastId: number;
  settings: RoomSettings;
  /** Raised hands, oldest first (participantIds). */
  hands: string[];
  /** Who waits in the lobby, for hosts and co-hosts; null for everyone else. */
  lobby: LobbyEntry[] | null;
  /** The newest chat messages you may see with ids ≤ `lastId` (at most CHAT_HISTORY_LIMIT), oldest first. */
  chat: ChatMessage[];
  /** The meeting is being recorded now (as of `lastId`; `recording` messages follow). */
  recording: boolean;
}

/** Sent to a socket whose admission waits in the lobby (instead of `welcome`), and when that changes. */
export interface LobbyStatusMessage {
  type: "lobby";
  status: "waiting" | "admitted" | "denied";
  meeting: { meetingId: string; title: string };
  name: string;
  knockedAt: string;
  /** With "denied": when you may knock again. */
  retryAt?: string;
}

export interface PongMessage {
  type: "pong";
}

/** Machine-readable reasons for user errors. */
export type UserErrorCode =
  | "forbidden"
  | "not-found"
  | "invalid"
  | "chat-off"
  | "chat-too-long"
  | "rate-limited"
  | "muted-by-host"
  | "screen-share-hosts"
  | "conflict"
  | "unavailable";

/** "user": show `message` to the person; "internal": something broke on the server (logged there). */
export interface ErrorMessage {
  type: "error";
  kind: "user" | "internal";
  /** In English (other clients, logs). */
  message: string;
  /**
   * For user errors: the same message as a catalog key with its values in one string
   * (`room.refused.chatHosts`, `room.nameTooLong`; lib/i18n/message.ts), for a client to say in the
   * person's language.
   */
  messageKey?: string;
  /** For user errors: why (see UserErrorCode). */
  code?: UserErrorCode;
  /** For user errors: the type of the client message that was refused. */
  action?: string;
}

/** Who did something to someone. */
export interface Actor {
  participantId: string;
  name: string;
}

/** Why a participant-updated happened when a host did it (absent for the person's own changes). */
export type ModerationCause =
  | "muted"
  | "unmuted"
  | "video-stopped"
  | "video-allowed"
  | "renamed"
  | "role-changed"
  | "hand-lowered";

/** Payloads of the persisted meeting messages, by type. */
export interface MeetingMessageData {
  "participant-joined": { participant: ParticipantView };
  "participant-updated": { participant: ParticipantView; cause?: ModerationCause; by?: Actor };
  "participant-left": { participantId: string; name: string; removed?: boolean; by?: Actor };
  "meeting-ended": { reason: string };
  "settings-changed": { settings: RoomSettings; by: Actor };
  /** Hosts/co-hosts only. */
  "lobby-knock": { entry: LobbyEntry };
  /** Hosts/co-hosts only. Someone left the lobby (closed the page) or was admitted/denied. */
  "lobby-left": { admissionId: string; outcome: "admitted" | "denied" | "gone"; by?: Actor };
  /** Only to the participant asked (and hosts/co-hosts). */
  "unmute-requested": { participantId: string; media: "audio" | "video"; by: Actor };
  "reaction": { participantId: string; emoji: Reaction };
  /** Private messages reach only their two parties. */
  "chat": { message: ChatMessage };
  /** Hosts/co-hosts only. How a call out (`dial-out`) is going. */
  "dial-out-status": DialOutStatus;
  /** Hosts/co-hosts only. The meeting's passcode is being guessed at by phone (once per window). */
  "dial-in-guessing": { failures: number; windowMinutes: number };
  /** Recording started (`recording: true`) or stopped; everyone sees it (banner, dot, chat entry). */
  "recording": { recording: boolean; recordingId: string };
}

/** A call out's progress: `calling` when the gateway took it, then what the far end did. */
export interface DialOutStatus {
  callId: string;
  status: "calling" | "ringing" | "answered" | "busy" | "no-answer" | "failed";
  /** The number (masked) or SIP URI called. */
  target: string;
  /** The name the caller gets in the meeting. */
  name: string;
  reason?: string;
  by: Actor;
}

/** `•••• 1234`: a phone number as others see it (the last four digits). SIP URIs keep their user part. */
export function maskNumber(number: string): string {
  if (/^sips?:/i.test(number)) return number.replace(/^sips?:/i, "").split("@")[0].slice(0, 40) || "SIP caller";
  const digits = number.replace(/\D/g, "");
  return digits.length >= 4 ? `•••• ${digits.slice(-4)}` : "Phone caller";
}

export type MeetingMessageType = keyof MeetingMessageData;

/** A persisted meeting message: `id` is gap-free within the meeting (you may not see every id). */
export type MeetingMessage = {
  [K in MeetingMessageType]: { id: number; type: K; at: string; data: MeetingMessageData[K] };
}[MeetingMessageType];

export type ServerMessage = WelcomeMessage | LobbyStatusMessage | PongMessage | ErrorMessage | MeetingMessage;

/** Persisted meeting messages carry a numeric id; control messages (welcome, lobby, pong, error) do not. */
export function isMeetingMessage(m: ServerMessage): m is MeetingMessage {
  return typeof (m as { id?: unknown }).id === "number";
}

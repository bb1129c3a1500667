// The web → gateway internal API (docs/internal-api.md): paths, request and response bodies, typed
// once. The gateway's server (gateway/http_api.ts) validates requests with these schemas; the web's
// client (lib/meetings/gateway_client.ts) sends the request types and parses every answer with the
// response schemas. Every /internal request is signed (lib/common/signing.ts); errors are problem
// details (lib/contracts/problem.ts). `MediaGateway` is what domain code asks of the gateway.
// Nothing here may import server code of either side.

import { z } from "zod";
import { cleanLine } from "../common/text.ts";

// ---- parameters ---------------------------------------------------------------------------------

export const meetingIdParam = z.string().regex(/^\d{10}$/, "must be 10 digits");
export const participantIdParam = z.string().min(1).max(100).regex(/^[A-Za-z0-9_-]+$/, "letters, digits, - and _ only");
export const callIdParam = z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, "letters, digits, - and _ only");
/** A VideoRoom feed id in a path: a positive integer (as text), parsed to a number. */
export const feedIdParam = z.string().regex(/^[1-9]\d{0,15}$/, "must be a positive integer").transform(Number);

// ---- request bodies -----------------------------------------------------------------------------

export const roomBody = z.object({
  title: z.string().max(200).overwrite(cleanLine).optional(),
  maxPublishers: z.number().int().min(1).max(500).optional(),
}).strict();
export type RoomBody = z.infer<typeof roomBody>;

export const participantBody = z.object({ participantId: participantIdParam }).strict();
export type ParticipantBody = z.infer<typeof participantBody>;

export const moderateBody = z.object({
  participantId: participantIdParam,
  mid: z.string().min(1).max(16),
  muteAudio: z.boolean().optional(),
  muteVideo: z.boolean().optional(),
}).strict().refine((b) => (b.muteAudio === undefined) !== (b.muteVideo === undefined), {
  message: "give exactly one of muteAudio or muteVideo",
});
export type ModerateBody = z.infer<typeof moderateBody>;

export const muteBody = z.object({ muted: z.boolean() }).strict();
export type MuteBody = z.infer<typeof muteBody>;

export const publisherBody = z.object({ audioMid: z.string().min(1).max(16) }).strict();
export type PublisherBody = z.infer<typeof publisherBody>;

export const dialOutBody = z.object({
  target: z.string().max(256).refine(
    (t) => /^\+?[1-9]\d{3,14}$/.test(t) || /^sip:[^\s<>"]+$/.test(t),
    "must be an E.164 number or a sip: URI",
  ),
  displayName: z.string().overwrite(cleanLine).min(1).max(100),
}).strict();
export type DialOutBody = z.infer<typeof dialOutBody>;

/** A recording's id, chosen by the web app (a ULID): it names the recording's folder on the gateway. */
export const recordingIdParam = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "letters, digits, - and _ only (1-64)");
/** participantId → the name shown on their tile. */
const recordingNames = z.record(participantIdParam, z.string().overwrite(cleanLine).min(1).max(100))
  .refine((n) => Object.keys(n).length <= 500, "at most 500 names");

export const startRecordingBody = z.object({
  recordingId: recordingIdParam,
  names: recordingNames.default({}),
}).strict();
export type StartRecordingBody = z.input<typeof startRecordingBody>;

export const recordingNamesBody = z.object({ names: recordingNames }).strict();

// ---- response bodies ----------------------------------------------------------------------------

export const healthAnswer = z.object({
  ok: z.boolean(),
  janus: z.enum(["connected", "disconnected"]),
  rooms: z.number().int(),
});
export type GatewayHealth = z.infer<typeof healthAnswer>;

/** 204 No Content: no body (the client reads it as null). */
export const noContent = z.null();
export const roomAnswer = z.object({ room: z.number().int() });
export const destroyedAnswer = z.object({ destroyed: z.boolean() });
export const removedAnswer = z.object({ removed: z.boolean() });
export const okAnswer = z.object({ ok: z.literal(true) });
export const dialOutAnswer = z.object({ callId: z.string() });

export const iceServerSchema = z.object({
  urls: z.string(),
  username: z.string().optional(),
  credential: z.string().optional(),
});
export type IceServer = z.infer<typeof iceServerSchema>;

/** What the browser needs to join a meeting's VideoRoom (the participants endpoint's answer). */
export const mediaAccessSchema = z.object({
  /** Core Janus token (janus.js `token`), also the room's allowed-list token (join `token`). */
  janusToken: z.string(),
  room: z.number().int(),
  /** The publisher id to join with; kicking relies on it. */
  feedId: z.number().int(),
  janusUrl: z.string(),
  iceServers: z.array(iceServerSchema),
});
export type MediaAccess = z.infer<typeof mediaAccessSchema>;

/**
 * A recording as the gateway sees it: `recording` → `processing` (progress 0–100) → `ready` |
 * `failed` (reason in words for the person who recorded). `stopReason` says why recording ended:
 * `requested`, `disk-low` (free space ran out: what was recorded is kept), `meeting-ended`,
 * `gateway-restart`.
 */
export const recordingStatusSchema = z.object({
  recordingId: z.string(),
  meetingId: z.string(),
  state: z.enum(["recording", "processing", "ready", "failed"]),
  progress: z.number().nullable(),
  startedAt: z.string(),
  stoppedAt: z.string().nullable(),
  stopReason: z.enum(["requested", "disk-low", "meeting-ended", "gateway-restart"]).nullable(),
  /** While recording: so far; when ready: the MP4's length. */
  durationSeconds: z.number().nullable(),
  sizeBytes: z.number().nullable(),
  reason: z.string().nullable(),
});
export type RecordingStatus = z.infer<typeof recordingStatusSchema>;
export const recordingListAnswer = z.object({ recordings: z.array(recordingStatusSchema) });

/** Diagnostics: the gateway's view of calls (gateway/calls/controller.ts CallInfo); not used by the web app. */
export const callsAnswer = z.object({ calls: z.array(z.object({ callId: z.string() }).loose()) });

// ---- paths --------------------------------------------------------------------------------------

const seg = encodeURIComponent;

/** The paths, built from their parameters (the server's Hono patterns are in GATEWAY_ROUTES). */
export const gatewayPaths = {
  health: () => "/health",
  room: (meetingId: string) => `/internal/rooms/${seg(meetingId)}`,
  participants: (meetingId: string) => `/internal/rooms/${seg(meetingId)}/participants`,
  participant: (meetingId: string, participantId: string) =>
    `/internal/rooms/${seg(meetingId)}/participants/${seg(participantId)}`,
  moderate: (meetingId: string) => `/internal/rooms/${seg(meetingId)}/moderate`,
  dialOut: (meetingId: string) => `/internal/rooms/${seg(meetingId)}/dial-out`,
  publisher: (meetingId: string, feedId: number) => `/internal/rooms/${seg(meetingId)}/publishers/${feedId}`,
  recording: (meetingId: string) => `/internal/rooms/${seg(meetingId)}/recording`,
  recordings: (meetingId: string) => `/internal/recordings?meetingId=${seg(meetingId)}`,
  recordingStatus: (recordingId: string) => `/internal/recordings/${seg(recordingId)}`,
  recordingNames: (recordingId: string) => `/internal/recordings/${seg(recordingId)}/names`,
  recordingFile: (recordingId: string) => `/internal/recordings/${seg(recordingId)}/file`,
  calls: () => "/internal/calls",
  call: (callId: string) => `/internal/calls/${seg(callId)}`,
  callAdmit: (callId: string) => `/internal/calls/${seg(callId)}/admit`,
  callMute: (callId: string) => `/internal/calls/${seg(callId)}/mute`,
} as const;

/** Hono route patterns of the same paths (gateway/http_api.ts). */
export const GATEWAY_ROUTES = {
  health: "/health",
  room: "/internal/rooms/:meetingId",
  participants: "/internal/rooms/:meetingId/participants",
  participant: "/internal/rooms/:meetingId/participants/:participantId",
  moderate: "/internal/rooms/:meetingId/moderate",
  dialOut: "/internal/rooms/:meetingId/dial-out",
  publisher: "/internal/rooms/:meetingId/publishers/:feedId",
  recording: "/internal/rooms/:meetingId/recording",
  recordings: "/internal/recordings",
  recordingStatus: "/internal/recordings/:recordingId",
  recordingNames: "/internal/recordings/:recordingId/names",
  recordingFile: "/internal/recordings/:recordingId/file",
  calls: "/internal/calls",
  call: "/internal/calls/:callId",
  callAdmit: "/internal/calls/:callId/admit",
  callMute: "/internal/calls/:callId/mute",
} as const;

// ---- what domain code asks of the gateway -------------------------------------------------------

/**
 * The media gateway as the web app's domain code sees it (lib/meetings/*, lib/telephony/*); the
 * signed HTTP client implements it, tests may pass their own. Failures reject with the client's
 * GatewayUnavailable (not reachable) or GatewayError (a status and the problem details).
 */
export interface MediaGateway {
  health(): Promise<GatewayHealth>;
  /** Idempotent: the meeting's room exists afterwards. PUT room, 201 when created, 200 when it was there. */
  ensureRoom(meetingId: string, options?: RoomBody): Promise<{ room: number }>;
  /** Idempotent: the same access for a participant until they are removed. POST participants. */
  admitParticipant(meetingId: string, participantId: string): Promise<MediaAccess>;
  /** Idempotent: revokes the participant's token and kicks their feed. DELETE participant. */
  removeParticipant(meetingId: string, participantId: string): Promise<{ removed: boolean }>;
  /** Idempotent: ends the meeting's calls, destroys the room (everyone is kicked) and revokes its tokens. */
  destroyRoom(meetingId: string): Promise<{ destroyed: boolean }>;
  /** Mutes or unmutes one published stream (by its mid) of a participant. */
  moderate(meetingId: string, body: ModerateBody): Promise<void>;
  // Dial-in/out (docs/sip-integration.md, "Web → gateway"); unknown calls answer 404.
  /** A waiting caller leaves hold music and joins the meeting's bridge. */
  admitCall(callId: string): Promise<void>;
  /** Server-side mute of a caller in the bridge. */
  muteCall(callId: string, muted: boolean): Promise<void>;
  /** BYE to the caller (removed, denied). */
  hangupCall(callId: string): Promise<void>;
  /** Calls an E.164 number or a sip: URI into the meeting (202); progress comes back to the SIP API's progress path. */
  dialOut(meetingId: string, body: DialOutBody): Promise<{ callId: string }>;
  /** A browser publisher's audio (VideoRoom feed id + audio mid), forwarded into the bridge while it is live. */
  setPublisher(meetingId: string, feedId: number, audioMid: string): Promise<void>;
  removePublisher(meetingId: string, feedId: number): Promise<void>;
  // Recording (docs/gateway.md, "Recording"); the web app chooses the recording's id.
  /** Starts recording the meeting's room; 409 when it already records. */
  startRecording(meetingId: string, body: StartRecordingBody): Promise<RecordingStatus>;
  /** Stops the meeting's recording and queues its processing; 404 when none runs. */
  stopRecording(meetingId: string): Promise<RecordingStatus>;
  recordingStatus(recordingId: string): Promise<RecordingStatus>;
  /** Names for tiles of people who joined since (participantId → name). */
  addRecordingNames(recordingId: string, names: Record<string, string>): Promise<void>;
  /** Idempotent from the web's side: a recording the gateway does not know is already gone. */
  deleteRecording(recordingId: string): Promise<void>;
  /** The finished MP4 as the gateway serves it (200, or 206 for `range`; 416 past the end). */
  recordingFile(recordingId: string, range: string | null): Promise<Response>;
}

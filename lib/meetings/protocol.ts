// The meeting socket's messages, shared by the server (lib/meetings/hub.ts) and the in-meeting
// island. Plain types plus zod schemas for what clients send; nothing here may import server code.
// docs/meeting-protocol.md describes every message.

import { z } from "zod";

/** WebSocket close codes the server uses (4000–4999 are application codes). */
export const CLOSE = {
  /** The host ended the meeting (or it had ended before the socket said hello). */
  meetingEnded: 4000,
  /** The admission stopped working (expired, or the meeting is gone). */
  notAdmitted: 4403,
  /** A message broke the protocol; nothing from it was applied. */
  protocolError: 4400,
  /** Too many messages per second. */
  rateLimited: 4429,
  /** The server is shutting down; reconnect (to any instance). */
  goingAway: 1001,
} as const;

/** Largest text frame a client may send. */
export const MAX_MESSAGE_BYTES = 16 * 1024;

export type ParticipantRole = "host" | "cohost" | "participant" | "guest";

export interface MediaState {
  audio: boolean;
  video: boolean;
  screen: boolean;
}

/** What every participant may know about another. */
export interface ParticipantView {
  participantId: string;
  name: string;
  role: ParticipantRole;
  state: MediaState;
  /** The participant's VideoRoom publisher id once they publish, else null. */
  feedId: number | null;
  joinedAt: string;
}

// ---- client → server -------------------------------------------------------------------------

export const helloSchema = z.object({
  type: z.literal("hello"),
  /** Set when reconnecting: the participantId the previous `welcome` gave. */
  participantId: z.string().min(1).max(64).optional(),
  /** Set when reconnecting: the id of the last meeting message seen. */
  lastId: z.number().int().min(0).optional(),
}).strict();

export const stateSchema = z.object({
  type: z.literal("state"),
  audio: z.boolean(),
  video: z.boolean(),
  screen: z.boolean(),
  feedId: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullable().optional(),
}).strict();

export const pingSchema = z.object({ type: z.literal("ping") }).strict();

export const clientMessageSchema = z.discriminatedUnion("type", [helloSchema, stateSchema, pingSchema]);

export type HelloMessage = z.infer<typeof helloSchema>;
export type StateMessage = z.infer<typeof stateSchema>;
export type PingMessage = z.infer<typeof pingSchema>;
export type ClientMessage = z.infer<typeof clientMessageSchema>;

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
}

export interface PongMessage {
  type: "pong";
}

/** "user": show `message` to the person; "internal": something broke on the server (logged there). */
export interface ErrorMessage {
  type: "error";
  kind: "user" | "internal";
  message: string;
}

/** Payloads of the persisted meeting messages, by type. */
export interface MeetingMessageData {
  "participant-joined": { participant: ParticipantView };
  "participant-updated": { participant: ParticipantView };
  "participant-left": { participantId: string; name: string };
  "meeting-ended": { reason: string };
}

export type MeetingMessageType = keyof MeetingMessageData;

/** A persisted meeting message: `id` is gap-free within the meeting. */
export type MeetingMessage = {
  [K in MeetingMessageType]: { id: number; type: K; at: string; data: MeetingMessageData[K] };
}[MeetingMessageType];

export type ServerMessage = WelcomeMessage | PongMessage | ErrorMessage | MeetingMessage;

/** Persisted meeting messages carry a numeric id; control messages (welcome, pong, error) do not. */
export function isMeetingMessage(m: ServerMessage): m is MeetingMessage {
  return typeof (m as { id?: unknown }).id === "number";
}

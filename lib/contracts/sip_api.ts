// The gateway → web internal API for dial-in and dial-out (docs/internal-api.md,
// docs/sip-integration.md): paths, request and response bodies, typed once. The web app's server
// (routes/internal/sip.ts) validates requests with these schemas; the gateway's client
// (gateway/web_client.ts) sends the request types and reads answers with the response schemas.
// Every request is signed (lib/common/signing.ts); errors, resolve's refusals included, are problem
// details (lib/contracts/problem.ts). Nothing here may import server code of either side.

import { z } from "zod";
import { cleanLine } from "../common/text.ts";
import { problemSchema } from "./problem.ts";

// ---- parameters ---------------------------------------------------------------------------------

export const sipMeetingId = z.string().min(1).max(32);
/** The gateway's call id (also a path segment). */
export const sipCallId = z.string().regex(/^[A-Za-z0-9._~@:+-]{1,128}$/, "letters, digits and ._~@:+- only");

// ---- request bodies -----------------------------------------------------------------------------

export const resolveBody = z.object({
  meetingId: sipMeetingId,
  passcode: z.string().max(32).nullable(),
  /**
   * The source IP of the caller's SIP packets as the gateway's socket saw them (never From or Via,
   * which the caller writes): wrong passcodes are counted and slowed down per source.
   */
  source: z.string().min(1).max(64).regex(/^[0-9A-Fa-f.:]+$/, "an IPv4 or IPv6 address"),
}).strict();
export type ResolveBody = z.infer<typeof resolveBody>;

export const callBody = z.object({
  meetingId: sipMeetingId,
  callId: sipCallId,
  displayName: z.string().max(200).overwrite(cleanLine),
  number: z.string().max(200).overwrite(cleanLine),
}).strict();
export type CallBody = z.infer<typeof callBody>;

export const callStateBody = z.object({
  speaking: z.boolean().optional(),
  muted: z.boolean().optional(),
  video: z.boolean().optional(),
}).strict();
export type CallStateBody = z.infer<typeof callStateBody>;

export const callEndBody = z.object({ reason: z.string().max(500).optional() }).strict();
export type CallEndBody = z.infer<typeof callEndBody>;

export const DIAL_OUT_PROGRESS = ["ringing", "answered", "busy", "no-answer", "failed"] as const;
export type DialOutProgress = (typeof DIAL_OUT_PROGRESS)[number];

export const progressBody = z.object({
  status: z.enum(DIAL_OUT_PROGRESS),
  reason: z.string().max(500).optional(),
}).strict();
export type ProgressBody = z.infer<typeof progressBody>;

// ---- response bodies ----------------------------------------------------------------------------

/**
 * The language the phone menu speaks for a found meeting: its host's account language (a locale of
 * lib/i18n/locales.ts). Absent when the host chose none: the gateway speaks its SIP_LANGUAGE. A
 * string, not an enum, so a gateway that does not speak a newer web app's language still reads the
 * answer (and uses its own).
 */
const meetingLocale = z.string().min(2).max(16).optional();

/** 200: the caller may enter. */
export const resolveAnswer = z.object({
  meetingId: z.string(),
  title: z.string(),
  passcodeRequired: z.boolean(),
  locale: meetingLocale,
});
export type ResolveAnswer = z.infer<typeof resolveAnswer>;

/** Why resolve refused, with the status it is sent with (486 is SIP's Busy Here, what the gateway answers). */
export const RESOLVE_REFUSALS = {
  "not-found": 404,
  "ended": 410,
  "dial-in-disabled": 403,
  "bad-passcode": 403,
  "locked": 486,
  /** Too many wrong passcodes from this source in the window: refused until `retryAfterMs`. */
  "rate-limited": 429,
  /** This source must wait `retryAfterMs` before its next try is evaluated (not evaluated now). */
  "slow-down": 429,
} as const;
export type ResolveRefusalCode = keyof typeof RESOLVE_REFUSALS;

/** A resolve refusal: problem details whose `code` says why; `passcodeRequired` when a passcode would help. */
export const resolveRefusal = problemSchema.extend({
  code: z.enum(Object.keys(RESOLVE_REFUSALS) as [ResolveRefusalCode, ...ResolveRefusalCode[]]),
  passcodeRequired: z.boolean().optional(),
  /** rate-limited / slow-down: when a try from this source would be looked at again. */
  retryAfterMs: z.number().int().nonnegative().optional(),
  /** Every refusal but not-found: the meeting's language, as in the 200 answer. */
  locale: meetingLocale,
});
export type ResolveRefusal = z.infer<typeof resolveRefusal>;

/** 201 (200 when the callId was already known): the caller is a participant, in or waiting in the lobby. */
export const callAnswer = z.object({
  participantId: z.string(),
  state: z.enum(["admitted", "waiting"]),
});
export type CallAnswer = z.infer<typeof callAnswer>;

// ---- paths --------------------------------------------------------------------------------------

/** Prefix of the whole API (lib/web/middleware.ts lets it through CSRF only with a signature). */
export const SIP_API_PREFIX = "/internal/sip";

export const sipPaths = {
  resolve: () => `${SIP_API_PREFIX}/resolve`,
  calls: () => `${SIP_API_PREFIX}/calls`,
  call: (callId: string) => `${SIP_API_PREFIX}/calls/${encodeURIComponent(callId)}`,
  callState: (callId: string) => `${SIP_API_PREFIX}/calls/${encodeURIComponent(callId)}/state`,
  progress: (callId: string) => `${SIP_API_PREFIX}/calls/${encodeURIComponent(callId)}/progress`,
} as const;

/** Hono route patterns of the same paths (routes/internal/sip.ts). */
export const SIP_ROUTES = {
  all: `${SIP_API_PREFIX}/*`,
  resolve: `${SIP_API_PREFIX}/resolve`,
  calls: `${SIP_API_PREFIX}/calls`,
  call: `${SIP_API_PREFIX}/calls/:callId`,
  callState: `${SIP_API_PREFIX}/calls/:callId/state`,
  progress: `${SIP_API_PREFIX}/calls/:callId/progress`,
} as const;

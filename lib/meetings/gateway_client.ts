// The web app's client for the gateway's internal HTTP API, signing every request with the shared
// secret (the scheme lives in lib/common/signing.ts so both sides use the same code). Paths, bodies
// and the schemas every answer is parsed with are the contract in lib/contracts/gateway_api.ts;
// error answers are problem details (lib/contracts/problem.ts).

import type { z } from "zod";
import { signedHeaders } from "../common/signing.ts";
import {
  destroyedAnswer,
  dialOutAnswer,
  gatewayPaths as paths,
  healthAnswer,
  mediaAccessSchema,
  type MediaGateway,
  noContent,
  okAnswer,
  recordingStatusSchema,
  removedAnswer,
  roomAnswer,
} from "../contracts/gateway_api.ts";
import { fieldErrors, PeerError, PeerUnavailable, type ProblemDetails, readProblem } from "../contracts/problem.ts";

/** The gateway could not be reached (down, refusing connections, or too slow). */
export class GatewayUnavailable extends PeerUnavailable {}

/** The gateway answered with a status we did not expect, or a body outside the contract. */
export class GatewayError extends PeerError {
  constructor(status: number, problem: ProblemDetails) {
    super("gateway", status, problem);
  }
}

export interface GatewayClientOptions {
  /** Base URL, e.g. http://127.0.0.1:8090 */
  url: string;
  secret: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** The signed HTTP implementation of MediaGateway. */
export type GatewayClient = MediaGateway;

export function createGatewayClient(options: GatewayClientOptions): GatewayClient {
  const base = options.url.replace(/\/+$/, "");
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;

  /** Sends one request; a 2xx body is parsed with `answer` (noContent: none), anything else throws. */
  async function call<S extends z.ZodType>(
    method: string,
    path: string,
    body: unknown,
    answer: S,
    signed = true,
  ): Promise<z.infer<S>> {
    const text = body === undefined ? "" : JSON.stringify(body);
    const headers: Record<string, string> = signed ? signedHeaders(options.secret, method, path, text) : {};
    if (text) headers["content-type"] = "application/json";
    let res: Response;
    try {
      res = await doFetch(`${base}${path}`, {
        method,
        headers,
        body: text || undefined,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new GatewayUnavailable(`gateway at ${base} is unreachable: ${(err as Error).message}`, { cause: err });
    }
    const raw = await res.text();
    let json: unknown = null;
    try {
      json = raw ? JSON.parse(raw) : null;
    } catch {
      // Not JSON (a proxy's error page, say): keep the status, drop the body.
    }
    if (!res.ok) throw new GatewayError(res.status, readProblem(res.status, json));
    const parsed = answer.safeParse(json);
    if (!parsed.success) {
      throw new GatewayError(res.status, {
        type: "about:blank",
        title: "Unexpected answer",
        status: res.status,
        detail: `${method} ${path} answered a body outside the contract`,
        errors: fieldErrors(parsed.error),
      });
    }
    return parsed.data;
  }

  return {
    health: () => call("GET", paths.health(), undefined, healthAnswer, false),
    ensureRoom: (meetingId, opts = {}) => call("PUT", paths.room(meetingId), opts, roomAnswer),
    admitParticipant: (meetingId, participantId) =>
      call("POST", paths.participants(meetingId), { participantId }, mediaAccessSchema),
    removeParticipant: (meetingId, participantId) =>
      call("DELETE", paths.participant(meetingId, participantId), undefined, removedAnswer),
    destroyRoom: (meetingId) => call("DELETE", paths.room(meetingId), undefined, destroyedAnswer),
    moderate: async (meetingId, body) => {
      await call("POST", paths.moderate(meetingId), body, okAnswer);
    },
    admitCall: async (callId) => {
      await call("POST", paths.callAdmit(callId), undefined, noContent);
    },
    muteCall: async (callId, muted) => {
      await call("POST", paths.callMute(callId), { muted }, noContent);
    },
    hangupCall: async (callId) => {
      await call("DELETE", paths.call(callId), undefined, noContent);
    },
    dialOut: (meetingId, body) => call("POST", paths.dialOut(meetingId), body, dialOutAnswer),
    setPublisher: async (meetingId, feedId, audioMid) => {
      await call("PUT", paths.publisher(meetingId, feedId), { audioMid }, noContent);
    },
    removePublisher: async (meetingId, feedId) => {
      await call("DELETE", paths.publisher(meetingId, feedId), undefined, noContent);
    },
    startRecording: (meetingId, body) => call("POST", paths.recording(meetingId), body, recordingStatusSchema),
    stopRecording: (meetingId) => call("DELETE", paths.recording(meetingId), undefined, recordingStatusSchema),
    recordingStatus: (recordingId) => call("GET", paths.recordingStatus(recordingId), undefined, recordingStatusSchema),
    addRecordingNames: async (recordingId, names) => {
      await call("POST", paths.recordingNames(recordingId), { names }, noContent);
    },
    deleteRecording: async (recordingId) => {
      try {
        await call("DELETE", paths.recordingStatus(recordingId), undefined, noContent);
      } catch (err) {
        if (!(err instanceof GatewayError && err.status === 404)) throw err;
      }
    },
    recordingFile: async (recordingId, range) => {
      // Streamed through, not parsed: the body is the video (or the gateway's problem details).
      const path = paths.recordingFile(recordingId);
      const headers: Record<string, string> = signedHeaders(options.secret, "GET", path, "");
      if (range) headers.range = range;
      try {
        return await doFetch(`${base}${path}`, { headers });
      } catch (err) {
        throw new GatewayUnavailable(`gateway at ${base} is unreachable: ${(err as Error).message}`, { cause: err });
      }
    },
  };
}

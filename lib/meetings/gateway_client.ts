// The web app's client for the gateway's internal HTTP API, signing every request with the shared
// secret (the scheme lives in lib/common/signing.ts so both sides use the same code).

import { signedHeaders } from "../common/signing.ts";

export interface IceServer {
  urls: string;
  username?: string;
  credential?: string;
}

/** What the browser needs to join a meeting's VideoRoom. */
export interface JanusAccess {
  /** Core Janus token (janus.js `token`), also the room's allowed-list token (join `token`). */
  janusToken: string;
  room: number;
  /** The publisher id to join with; kicking relies on it. */
  feedId: number;
  janusUrl: string;
  iceServers: IceServer[];
}

export interface GatewayHealth {
  ok: boolean;
  janus: "connected" | "disconnected";
  rooms: number;
}

/** The gateway could not be reached (down, refusing connections, or too slow). */
export class GatewayUnavailable extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "GatewayUnavailable";
  }
}

/** The gateway answered with a non-2xx status; `problem` is its JSON body when it sent one. */
export class GatewayError extends Error {
  constructor(readonly status: number, readonly problem: { error?: string; fields?: Record<string, string> }) {
    super(`gateway answered ${status}${problem.error ? `: ${problem.error}` : ""}`);
    this.name = "GatewayError";
  }
}

export interface GatewayClientOptions {
  /** Base URL, e.g. http://127.0.0.1:8090 */
  url: string;
  secret: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface GatewayClient {
  health(): Promise<GatewayHealth>;
  /** Idempotent: the meeting's room exists afterwards. */
  ensureRoom(meetingId: string, options?: { title?: string; maxPublishers?: number }): Promise<{ room: number }>;
  /** Idempotent: the same access for a participant until they are removed. */
  admitParticipant(meetingId: string, participantId: string): Promise<JanusAccess>;
  /** Idempotent: revokes the participant's token and kicks their feed. */
  removeParticipant(meetingId: string, participantId: string): Promise<{ removed: boolean }>;
  /** Idempotent: destroys the room (everyone is kicked) and revokes its tokens. */
  destroyRoom(meetingId: string): Promise<{ destroyed: boolean }>;
  /** Mutes or unmutes one published stream (by its mid) of a participant. */
  moderate(
    meetingId: string,
    body: { participantId: string; mid: string; muteAudio?: boolean; muteVideo?: boolean },
  ): Promise<void>;
  // Dial-in/out (docs/sip-integration.md, "Web → gateway"); unknown calls answer 404 (GatewayError).
  /** A waiting caller leaves hold music and joins the meeting's bridge. */
  admitCall(callId: string): Promise<void>;
  /** Server-side mute of a caller in the bridge. */
  muteCall(callId: string, muted: boolean): Promise<void>;
  /** BYE to the caller (removed, denied). */
  hangupCall(callId: string): Promise<void>;
  /** Calls an E.164 number or a sip: URI into the meeting; progress comes back to /internal/sip/calls/{callId}/progress. */
  dialOut(meetingId: string, body: { target: string; displayName: string }): Promise<{ callId: string }>;
  /** A browser publisher's audio (VideoRoom feed id + audio mid), forwarded into the bridge while it is live. */
  setPublisher(meetingId: string, feedId: number, audioMid: string): Promise<void>;
  removePublisher(meetingId: string, feedId: number): Promise<void>;
}

export function createGatewayClient(options: GatewayClientOptions): GatewayClient {
  const base = options.url.replace(/\/+$/, "");
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;

  async function call<T>(method: string, path: string, body?: unknown, signed = true): Promise<T> {
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
    if (!res.ok) throw new GatewayError(res.status, (json ?? {}) as GatewayError["problem"]);
    return json as T;
  }

  const meeting = (id: string) => `/internal/rooms/${encodeURIComponent(id)}`;
  const callPath = (id: string) => `/internal/calls/${encodeURIComponent(id)}`;

  return {
    health: () => call<GatewayHealth>("GET", "/health", undefined, false),
    ensureRoom: (meetingId, opts = {}) => call("PUT", meeting(meetingId), opts),
    admitParticipant: (meetingId, participantId) =>
      call<JanusAccess>("POST", `${meeting(meetingId)}/participants`, { participantId }),
    removeParticipant: (meetingId, participantId) =>
      call("DELETE", `${meeting(meetingId)}/participants/${encodeURIComponent(participantId)}`),
    destroyRoom: (meetingId) => call("DELETE", meeting(meetingId)),
    moderate: async (meetingId, body) => {
      await call("POST", `${meeting(meetingId)}/moderate`, body);
    },
    admitCall: async (callId) => {
      await call("POST", `${callPath(callId)}/admit`);
    },
    muteCall: async (callId, muted) => {
      await call("POST", `${callPath(callId)}/mute`, { muted });
    },
    hangupCall: async (callId) => {
      await call("DELETE", callPath(callId));
    },
    dialOut: (meetingId, body) => call<{ callId: string }>("POST", `${meeting(meetingId)}/dial-out`, body),
    setPublisher: async (meetingId, feedId, audioMid) => {
      await call("PUT", `${meeting(meetingId)}/publishers/${feedId}`, { audioMid });
    },
    removePublisher: async (meetingId, feedId) => {
      await call("DELETE", `${meeting(meetingId)}/publishers/${feedId}`);
    },
  };
}

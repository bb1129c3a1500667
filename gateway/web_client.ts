// The gateway's client for the web app's internal SIP API (docs/sip-integration.md, "Gateway → web"),
// signing every request with the shared GATEWAY_SECRET (gateway/signing.ts, same scheme both ways).

import { signedHeaders } from "../lib/common/signing.ts";

/** The web app could not be reached (down, refusing connections, or too slow). */
export class WebUnavailable extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "WebUnavailable";
  }
}

/** The web app answered with a status we did not expect; `problem` is its JSON body when it sent one. */
export class WebError extends Error {
  constructor(readonly status: number, readonly problem: { error?: string; [key: string]: unknown }) {
    super(`web app answered ${status}${problem.error ? `: ${problem.error}` : ""}`);
    this.name = "WebError";
  }
}

export type ResolveResult =
  | { ok: true; meetingId: string; title: string; passcodeRequired: boolean }
  | {
    ok: false;
    /** 404, 403, 486, 410 or 429 (anything else throws WebError). */
    status: number;
    error: "not-found" | "bad-passcode" | "dial-in-disabled" | "locked" | "ended" | string;
    passcodeRequired: boolean;
  };

export type DialOutStatus = "ringing" | "answered" | "busy" | "no-answer" | "failed";

export interface WebClient {
  /** May this caller enter `meetingId` (with `passcode`, or none)? */
  /** `caller` (the source address) lets the web app count wrong passcodes per caller. */
  resolve(meetingId: string, passcode: string | null, caller?: string): Promise<ResolveResult>;
  /** The caller becomes a `phone` participant; `waiting` when the lobby applies. */
  createCall(body: { meetingId: string; callId: string; displayName: string; number: string }): Promise<{
    participantId: string;
    state: "admitted" | "waiting";
  }>;
  callState(callId: string, state: { speaking?: boolean; muted?: boolean; video?: boolean }): Promise<void>;
  /** The call ended; the participant leaves. A 404 (already gone) is not an error. */
  callEnded(callId: string, reason: string): Promise<void>;
  progress(callId: string, status: DialOutStatus, reason?: string): Promise<void>;
}

export interface WebClientOptions {
  /** e.g. http://127.0.0.1:8000 */
  url: string;
  secret: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

const RESOLVE_REFUSALS = new Set([403, 404, 410, 429, 486]);

export function createWebClient(options: WebClientOptions): WebClient {
  const base = options.url.replace(/\/+$/, "");
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 5_000;

  async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const text = body === undefined ? "" : JSON.stringify(body);
    const headers: Record<string, string> = signedHeaders(options.secret, method, path, text);
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
      throw new WebUnavailable(`web app at ${base} is unreachable: ${(err as Error).message}`, { cause: err });
    }
    const raw = await res.text();
    let json: unknown = null;
    try {
      json = raw ? JSON.parse(raw) : null;
    } catch {
      // Not JSON (a proxy's error page): keep the status.
    }
    return { status: res.status, json };
  }

  const callPath = (callId: string) => `/internal/sip/calls/${encodeURIComponent(callId)}`;
  const problem = (json: unknown) => (json && typeof json === "object" ? json : {}) as WebError["problem"];

  return {
    async resolve(meetingId, passcode, caller) {
      const body = caller === undefined ? { meetingId, passcode } : { meetingId, passcode, caller };
      const { status, json } = await call("POST", "/internal/sip/resolve", body);
      const answer = problem(json);
      if (status === 200) {
        return {
          ok: true,
          meetingId: String(answer.meetingId ?? meetingId),
          title: String(answer.title ?? ""),
          passcodeRequired: answer.passcodeRequired === true,
        };
      }
      if (RESOLVE_REFUSALS.has(status)) {
        return {
          ok: false,
          status,
          error: String(answer.error ?? ""),
          passcodeRequired: answer.passcodeRequired === true,
        };
      }
      throw new WebError(status, answer);
    },
    async createCall(body) {
      const { status, json } = await call("POST", "/internal/sip/calls", body);
      const b = problem(json);
      if (status !== 201 && status !== 200) throw new WebError(status, b);
      if (typeof b.participantId !== "string" || (b.state !== "admitted" && b.state !== "waiting")) {
        throw new WebError(status, { error: "unexpected answer to POST /internal/sip/calls", ...b });
      }
      return { participantId: b.participantId, state: b.state };
    },
    async callState(callId, state) {
      const { status, json } = await call("POST", `${callPath(callId)}/state`, state);
      if (status >= 300) throw new WebError(status, problem(json));
    },
    async callEnded(callId, reason) {
      const { status, json } = await call("DELETE", callPath(callId), { reason });
      if (status >= 300 && status !== 404) throw new WebError(status, problem(json));
    },
    async progress(callId, progressStatus, reason) {
      const body = reason === undefined ? { status: progressStatus } : { status: progressStatus, reason };
      const { status, json } = await call("POST", `${callPath(callId)}/progress`, body);
      if (status >= 300) throw new WebError(status, problem(json));
    },
  };
}

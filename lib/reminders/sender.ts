// Sends one web push message: web-push builds the request (aes128gcm payload encryption and the
// VAPID JWT), and we send it with fetch, since web-push's own sender only speaks Node's https.

import webpush from "web-push";
import type { VapidKeys } from "./vapid.ts";

/** What the service worker shows (static/sw.js reads exactly these fields). */
export interface PushPayload {
  title: string;
  body: string;
  /** Opened (or focused) when the notification is clicked. */
  url: string;
}

export interface PushTarget {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

export type SendOutcome =
  | { kind: "sent"; status: number }
  /** The push service says the subscription no longer exists (404/410): forget it. */
  | { kind: "gone"; status: number }
  /** Worth trying again later (429, 5xx, network trouble); `retryAfterMs` when the service said. */
  | { kind: "retry"; status: number | null; reason: string; retryAfterMs?: number }
  /** Refused for good (other 4xx, a redirect): trying again would fail the same way. */
  | { kind: "failed"; status: number; reason: string };

export interface SendOptions {
  /** How long the push service should keep the message for an offline device, in seconds. */
  ttlSeconds: number;
  /** Messages with the same topic replace each other while undelivered (≤ 32 base64url chars). */
  topic?: string;
  urgency?: "very-low" | "low" | "normal" | "high";
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/** An endpoint as logs may show it: its origin only (the path is the device's capability URL). */
export function endpointOrigin(endpoint: string): string {
  try {
    return new URL(endpoint).origin;
  } catch {
    return "(not a URL)"; // a stored endpoint is always checked first; this only keeps a log line safe
  }
}

/** `text` with every copy of the endpoint (and its path) replaced, so a reason can be logged. */
function withoutEndpoint(text: string, endpoint: string): string {
  let path = "";
  try {
    path = new URL(endpoint).pathname;
  } catch { /* not a URL: only the whole string is replaced */ }
  let out = text.split(endpoint).join(`${endpointOrigin(endpoint)}/…`);
  if (path.length > 1) out = out.split(path).join("/…");
  return out;
}

/**
 * Encrypts and POSTs one payload; never throws for network or HTTP failures (see SendOutcome).
 * A reason never contains the endpoint's path (a secret capability URL), only its origin.
 */
export async function sendPush(
  target: PushTarget,
  payload: PushPayload,
  vapid: VapidKeys,
  opts: SendOptions,
): Promise<SendOutcome> {
  const details = webpush.generateRequestDetails(
    { endpoint: target.endpoint, keys: target.keys },
    JSON.stringify(payload),
    {
      vapidDetails: { subject: vapid.subject, publicKey: vapid.publicKey, privateKey: vapid.privateKey },
      TTL: Math.max(0, Math.round(opts.ttlSeconds)),
      contentEncoding: "aes128gcm",
      urgency: opts.urgency ?? "high",
      ...(opts.topic ? { topic: opts.topic } : {}),
    },
  );
  const headers = new Headers();
  for (const [name, value] of Object.entries(details.headers as Record<string, string | number>)) {
    if (name.toLowerCase() !== "content-length") headers.set(name, String(value)); // fetch sets it itself
  }
  const body = details.body ? new Uint8Array(details.body as Uint8Array) : null;
  let res: Response;
  try {
    res = await (opts.fetch ?? fetch)(target.endpoint, {
      method: "POST",
      headers,
      body,
      // A redirect could point anywhere, including private hosts the endpoint check refused.
      redirect: "manual",
      signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000),
    });
  } catch (err) {
    // fetch's own message is just "fetch failed"; the cause says why (and names the URL: removed).
    const cause = err instanceof Error && err.cause !== undefined
      ? `: ${(err.cause as Error)?.message ?? err.cause}`
      : "";
    const reason = withoutEndpoint(`${err instanceof Error ? err.message : String(err)}${cause}`, target.endpoint);
    return { kind: "retry", status: null, reason };
  }
  // The body only adds detail to the reason; the status alone decides what happens next.
  const text = await res.text().catch(() => "");
  const status = res.status;
  if (status >= 200 && status < 300) return { kind: "sent", status };
  if (status === 404 || status === 410) return { kind: "gone", status };
  const reason = withoutEndpoint(
    `push service answered ${status}${text ? `: ${text.slice(0, 200)}` : ""}`,
    target.endpoint,
  );
  if (status === 429 || status >= 500) {
    const after = Number(res.headers.get("retry-after"));
    return { kind: "retry", status, reason, ...(after > 0 ? { retryAfterMs: after * 1000 } : {}) };
  }
  return { kind: "failed", status, reason };
}

// The gateway → web API for dial-in and dial-out (docs/sip-integration.md): resolve a dialled
// meeting, start / update / end a call, dial-out progress. Every request is signed by the gateway
// with GATEWAY_SECRET (lib/common/signing.ts); the routes exist only when the secret is set, and an
// unsigned, stale or forged request gets 401 without detail. The CSRF middleware lets these paths
// through only with a valid signature (lib/web/middleware.ts); the signature is checked here again
// before anything else, so the routes never depend on that order.

import { Hono } from "hono";
import type { Context } from "hono";
import { z } from "zod";
import type { Env } from "../lib/web/types.ts";
import { gatewaySignatureOk } from "../lib/web/middleware.ts";
import { callProgress, callState, endCall, resolveDialIn, startCall } from "../lib/telephony/phone.ts";
import type { Answer } from "../lib/telephony/phone.ts";
import { logger } from "../lib/common/log.ts";

const log = logger("internal-sip");

export const internalSipRoutes = new Hono<Env>();

internalSipRoutes.use("/internal/sip/*", async (c, next) => {
  if (!c.get("deps").config.gatewaySecret) return c.json({ error: "not-found" }, 404);
  if (!(await gatewaySignatureOk(c))) return c.json({ error: "unauthorized" }, 401);
  c.header("Cache-Control", "no-store");
  await next();
});

internalSipRoutes.onError((err, c) => {
  log.error("internal request failed", { path: new URL(c.req.url).pathname, error: String(err?.stack ?? err) });
  return c.json({ error: "internal" }, 500);
});

const meetingId = z.string().min(1).max(32);
const callId = z.string().regex(/^[A-Za-z0-9._~@:+-]{1,128}$/);

const resolveSchema = z.object({
  meetingId,
  passcode: z.string().max(32).nullable(),
  /** Optional: the caller's address as the gateway sees it (wrong passcodes are counted per caller). */
  caller: z.string().max(200).optional(),
}).strict();

const callSchema = z.object({
  meetingId,
  callId,
  displayName: z.string().max(200),
  number: z.string().max(200),
}).strict();

const stateSchema = z.object({
  speaking: z.boolean().optional(),
  muted: z.boolean().optional(),
  video: z.boolean().optional(),
}).strict();
const endSchema = z.object({ reason: z.string().max(500).optional() }).strict();
const progressSchema = z.object({
  status: z.enum(["ringing", "answered", "busy", "no-answer", "failed"]),
  reason: z.string().max(500).optional(),
}).strict();

/** The signed body parsed with `schema` (an empty body counts as `{}`), or a 400 answer. */
async function body<T extends z.ZodType>(
  c: Context<Env>,
  schema: T,
): Promise<{ ok: true; data: z.infer<T> } | { ok: false; res: Response }> {
  const text = await c.req.text();
  let json: unknown;
  try {
    json = text.trim() ? JSON.parse(text) : {};
  } catch {
    return { ok: false, res: c.json({ error: "invalid", detail: "The body must be JSON" }, 400) };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const fields = Object.fromEntries(parsed.error.issues.map((i) => [i.path.join(".") || "body", i.message]));
    return { ok: false, res: c.json({ error: "invalid", fields }, 400) };
  }
  return { ok: true, data: parsed.data };
}

function answer(c: Context<Env>, a: Answer): Response {
  if (a.body === null) return c.body(null, a.status as 204);
  return new Response(JSON.stringify(a.body), {
    status: a.status,
    headers: { "Content-Type": "application/json", "Cache-Control": "no-store" },
  });
}

function validCallId(c: Context<Env>): string | null {
  const parsed = callId.safeParse(c.req.param("callId"));
  return parsed.success ? parsed.data : null;
}

const unknownCall = (c: Context<Env>) => c.json({ error: "not-found" }, 404);

internalSipRoutes.post("/internal/sip/resolve", async (c) => {
  const req = await body(c, resolveSchema);
  if (!req.ok) return req.res;
  return answer(c, await resolveDialIn(c.get("deps").kv, req.data));
});

internalSipRoutes.post("/internal/sip/calls", async (c) => {
  const req = await body(c, callSchema);
  if (!req.ok) return req.res;
  const { kv, gateway } = c.get("deps");
  return answer(c, await startCall(kv, gateway, req.data));
});

internalSipRoutes.post("/internal/sip/calls/:callId/state", async (c) => {
  const id = validCallId(c);
  const req = await body(c, stateSchema);
  if (!req.ok) return req.res;
  if (!id || !(await callState(c.get("deps").kv, id, req.data))) return unknownCall(c);
  return c.body(null, 204);
});

internalSipRoutes.delete("/internal/sip/calls/:callId", async (c) => {
  const id = validCallId(c);
  const req = await body(c, endSchema);
  if (!req.ok) return req.res;
  if (!id || !(await endCall(c.get("deps").kv, id, req.data.reason ?? ""))) return unknownCall(c);
  return c.body(null, 204);
});

internalSipRoutes.post("/internal/sip/calls/:callId/progress", async (c) => {
  const id = validCallId(c);
  const req = await body(c, progressSchema);
  if (!req.ok) return req.res;
  const { kv, gateway } = c.get("deps");
  if (!id || !(await callProgress(kv, gateway, id, req.data))) return unknownCall(c);
  return c.body(null, 204);
});

// The gateway → web API for dial-in and dial-out (docs/internal-api.md, docs/sip-integration.md):
// resolve a dialled meeting, start / update / end a call, dial-out progress. Paths, bodies and their
// schemas are the contract in lib/contracts/sip_api.ts; every error, resolve's refusals included, is
// problem details (lib/contracts/problem.ts), the same shape the gateway's own API answers. Every
// request is signed by the gateway with GATEWAY_SECRET (lib/common/signing.ts); the routes exist
// only when the secret is set, and an unsigned, stale or forged request gets 401 without detail. The
// CSRF middleware lets these paths through only with a valid signature (lib/web/middleware.ts); the
// signature is checked here again before anything else, so the routes never depend on that order.

import { Hono } from "hono";
import type { Context } from "hono";
import type { z } from "zod";
import type { Env } from "../../lib/web/types.ts";
import { gatewaySignatureOk } from "../../lib/web/middleware.ts";
import { httpAnswer } from "../../lib/web/errors.ts";
import { BadRequest, NotFound, ValidationError } from "../../lib/common/errors.ts";
import { callProgress, callState, endCall, resolveDialIn, startCall } from "../../lib/telephony/phone.ts";
import type { Answer } from "../../lib/telephony/phone.ts";
import { dialInRulesFromEnv } from "../../lib/telephony/dial_in_guard.ts";
import { logger } from "../../lib/common/log.ts";
import { fieldErrors, problem, problemResponse } from "../../lib/contracts/problem.ts";
import {
  callAnswer,
  callBody,
  callEndBody,
  callStateBody,
  progressBody,
  resolveAnswer,
  resolveBody,
  type ResolveRefusalCode,
  SIP_ROUTES as R,
  sipCallId,
} from "../../lib/contracts/sip_api.ts";

const log = logger("internal-sip");

export const internalSipRoutes = new Hono<Env>();

internalSipRoutes.use(R.all, async (c, next) => {
  if (!c.get("deps").config.gatewaySecret) return problem(404, "not found");
  if (!(await gatewaySignatureOk(c))) return problem(401, "the request is not signed with the shared secret");
  c.header("Cache-Control", "no-store");
  await next();
});

internalSipRoutes.onError((err, c) => {
  const answer = httpAnswer(err);
  if (!answer.expected) {
    log.error("internal request failed", { path: new URL(c.req.url).pathname, error: String(err?.stack ?? err) });
  }
  return problemResponse(answer);
});

/** The signed body parsed with `schema` (an empty body counts as `{}`): 400 when not JSON, 422 per field. */
async function body<S extends z.ZodType>(c: Context<Env>, schema: S): Promise<z.infer<S>> {
  const text = await c.req.text();
  let json: unknown;
  try {
    json = text.trim() ? JSON.parse(text) : {};
  } catch {
    throw new BadRequest("The body must be JSON");
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new ValidationError(fieldErrors(parsed.error), "invalid request");
  return parsed.data;
}

/** What each refusal tells a person reading the logs; the `code` is what the gateway acts on. */
const REFUSAL_DETAIL: Record<ResolveRefusalCode, string> = {
  "not-found": "No open meeting has this number",
  "ended": "The meeting has ended",
  "dial-in-disabled": "Dial-in is off for this meeting",
  "bad-passcode": "The passcode is missing or wrong",
  "locked": "The meeting is locked",
  "rate-limited": "Too many wrong passcodes from this address; try again later",
  "slow-down": "Wrong passcodes from this address: wait before the next try",
};

/** A domain answer on the wire: 2xx bodies checked against the contract, refusals as problem details. */
function answer(c: Context<Env>, a: Answer, ok: z.ZodType): Response {
  if (a.status < 300) return c.json(ok.parse(a.body) as Record<string, unknown>, a.status as 200);
  const { error, ...extra } = a.body ?? {};
  const code = String(error) as ResolveRefusalCode;
  return problem(a.status, REFUSAL_DETAIL[code] ?? code, { code, ...extra });
}

function validCallId(c: Context<Env>): string {
  const parsed = sipCallId.safeParse(c.req.param("callId"));
  if (!parsed.success) throw new NotFound("no such call");
  return parsed.data;
}

const unknownCall = () => new NotFound("no such call");

/** The dial-in guard's numbers: DIAL_IN_* from the environment (README), read once at start. */
const dialInRules = dialInRulesFromEnv(Deno.env.toObject());

internalSipRoutes.post(R.resolve, async (c) => {
  const req = await body(c, resolveBody);
  const a = await resolveDialIn(c.get("deps").kv, req, { rules: dialInRules });
  const res = answer(c, a, resolveAnswer);
  const retryMs = a.body?.retryAfterMs;
  if (typeof retryMs === "number") res.headers.set("Retry-After", String(Math.max(1, Math.ceil(retryMs / 1000))));
  return res;
});

internalSipRoutes.post(R.calls, async (c) => {
  const req = await body(c, callBody);
  const { kv, gateway } = c.get("deps");
  return answer(c, await startCall(kv, gateway, req), callAnswer);
});

internalSipRoutes.post(R.callState, async (c) => {
  const id = validCallId(c);
  const req = await body(c, callStateBody);
  if (!(await callState(c.get("deps").kv, id, req))) throw unknownCall();
  return c.body(null, 204);
});

internalSipRoutes.delete(R.call, async (c) => {
  const id = validCallId(c);
  const req = await body(c, callEndBody);
  if (!(await endCall(c.get("deps").kv, id, req.reason ?? ""))) throw unknownCall();
  return c.body(null, 204);
});

internalSipRoutes.post(R.progress, async (c) => {
  const id = validCallId(c);
  const req = await body(c, progressBody);
  const { kv, gateway } = c.get("deps");
  if (!(await callProgress(kv, gateway, id, req))) throw unknownCall();
  return c.body(null, 204);
});

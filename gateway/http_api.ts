// The gateway's HTTP API for the web app: unsigned /health, everything under /internal signed with
// the shared secret (lib/common/signing.ts). Room secrets and the Janus admin secret never appear here.

import { Hono } from "hono";
import type { Context, Next } from "hono";
import { z } from "zod";
import { logger } from "../lib/common/log.ts";
import { CallProblem } from "./calls/controller.ts";
import type { CallController } from "./calls/controller.ts";
import type { IceServer } from "./config.ts";
import { JanusUnavailable } from "./janus/link.ts";
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyRequest } from "../lib/common/signing.ts";
import { JanusRequestFailed } from "./plugins/request.ts";
import { RoomProblem } from "./plugins/room_registry.ts";
import type { VideoRoomManager } from "./plugins/videoroom.ts";

const log = logger("gateway-http");

const MAX_BODY_BYTES = 16 * 1024;

export interface HttpApiDeps {
  secret: string;
  rooms: VideoRoomManager;
  janusConnected: () => boolean;
  /** What browsers get to reach Janus. */
  janusUrl: string;
  iceServers: IceServer[];
  /** Call control (dial-in/out); without it the call endpoints answer 404/503 and publishers are ignored. */
  calls?: CallController | null;
}

type Env = { Variables: { body: unknown } };

const meetingId = z.string().regex(/^\d{10}$/, "must be 10 digits");
const participantId = z.string().min(1).max(100).regex(/^[A-Za-z0-9_-]+$/, "letters, digits, - and _ only");

const roomBody = z.object({
  title: z.string().max(200).optional(),
  maxPublishers: z.number().int().min(1).max(500).optional(),
}).strict();

const participantBody = z.object({ participantId }).strict();

const callId = z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, "letters, digits, - and _ only");
const feedId = z.string().regex(/^[1-9]\d{0,15}$/, "must be a positive integer").transform(Number);
const muteBody = z.object({ muted: z.boolean() }).strict();
const publisherBody = z.object({ audioMid: z.string().min(1).max(16) }).strict();
const dialOutBody = z.object({
  target: z.string().max(256).refine(
    (t) => /^\+?[1-9]\d{3,14}$/.test(t) || /^sip:[^\s<>"]+$/.test(t),
    "must be an E.164 number or a sip: URI",
  ),
  displayName: z.string().min(1).max(100),
}).strict();

const moderateBody = z.object({
  participantId,
  mid: z.string().min(1).max(16),
  muteAudio: z.boolean().optional(),
  muteVideo: z.boolean().optional(),
}).strict().refine((b) => (b.muteAudio === undefined) !== (b.muteVideo === undefined), {
  message: "give exactly one of muteAudio or muteVideo",
});

class BadRequest extends Error {
  constructor(readonly fields: Record<string, string>) {
    super("invalid request");
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const res = schema.safeParse(value);
  if (res.success) return res.data;
  const fields: Record<string, string> = {};
  for (const issue of res.error.issues) fields[issue.path.join(".") || "body"] = issue.message;
  throw new BadRequest(fields);
}

/** Validates URL parameters, so field messages name the parameter. */
function params(c: Context<Env>): { meetingId: string; participantId?: string } {
  return parse(
    z.object({ meetingId, participantId: participantId.optional() }),
    { meetingId: c.req.param("meetingId"), participantId: c.req.param("participantId") },
  );
}

/** Verifies the signature over the raw body, then parses it as JSON for the handler. */
function requireSignature(secret: string) {
  return async function requireSignature(c: Context<Env>, next: Next) {
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    if (bytes.length > MAX_BODY_BYTES) return c.json({ error: "request body too large" }, 413);
    const body = new TextDecoder().decode(bytes);
    const url = new URL(c.req.url);
    const result = verifyRequest(secret, c.req.method, url.pathname + url.search, body, {
      timestamp: c.req.header(TIMESTAMP_HEADER) ?? null,
      signature: c.req.header(SIGNATURE_HEADER) ?? null,
    });
    if (!result.ok) {
      log.warn("rejected unsigned or badly signed request", { method: c.req.method, reason: result.reason });
      return c.json({ error: "unauthorized" }, 401);
    }
    let parsed: unknown = {};
    if (body.length) {
      try {
        parsed = JSON.parse(body);
      } catch {
        throw new BadRequest({ body: "must be JSON" });
      }
    }
    c.set("body", parsed);
    await next();
  };
}

export function createHttpApi(deps: HttpApiDeps): Hono<Env> {
  const app = new Hono<Env>();

  app.get("/health", (c) =>
    c.json({
      ok: true,
      janus: deps.janusConnected() ? "connected" : "disconnected",
      rooms: deps.rooms.roomCount,
    }));

  app.use("/internal/*", requireSignature(deps.secret));

  app.put("/internal/rooms/:meetingId", async (c) => {
    const id = params(c).meetingId;
    const body = parse(roomBody, c.get("body"));
    const { room, created } = await deps.rooms.ensureRoom(id, body);
    return c.json({ room }, created ? 201 : 200);
  });

  app.delete("/internal/rooms/:meetingId", async (c) => {
    const id = params(c).meetingId;
    // The meeting ended: every call of it gets a BYE and its SIP bridge stops, then the room goes.
    await deps.calls?.meetingEnded(id);
    return c.json(await deps.rooms.destroyRoom(id));
  });

  // --- calls (docs/sip-integration.md, "Web → gateway") ------------------------------------------

  const calls = () => {
    if (!deps.calls) throw new CallProblem(404, "no such call");
    return deps.calls;
  };
  const callParam = (c: Context<Env>) => parse(z.object({ callId }), { callId: c.req.param("callId") }).callId;

  app.get("/internal/calls", (c) => {
    const meeting = c.req.query("meetingId");
    if (meeting !== undefined) parse(z.object({ meetingId }), { meetingId: meeting });
    return c.json({ calls: deps.calls?.list(meeting) ?? [] });
  });

  app.get("/internal/calls/:callId", (c) => c.json(calls().get(callParam(c))));

  app.post("/internal/calls/:callId/admit", async (c) => {
    await calls().admit(callParam(c));
    return c.body(null, 204);
  });

  app.post("/internal/calls/:callId/mute", async (c) => {
    const id = callParam(c);
    const body = parse(muteBody, c.get("body"));
    await calls().setMuted(id, body.muted);
    return c.body(null, 204);
  });

  app.delete("/internal/calls/:callId", async (c) => {
    await calls().hangup(callParam(c));
    return c.body(null, 204);
  });

  app.post("/internal/rooms/:meetingId/dial-out", (c) => {
    const id = params(c).meetingId;
    const body = parse(dialOutBody, c.get("body"));
    if (!deps.calls) throw new CallProblem(503, "SIP is off");
    return c.json(deps.calls.dialOut(id, body.target, body.displayName), 202);
  });

  const publisherParams = (c: Context<Env>) =>
    parse(z.object({ meetingId, feedId }), { meetingId: c.req.param("meetingId"), feedId: c.req.param("feedId") });

  app.put("/internal/rooms/:meetingId/publishers/:feedId", async (c) => {
    const p = publisherParams(c);
    const body = parse(publisherBody, c.get("body"));
    await deps.calls?.setPublisher(p.meetingId, p.feedId, body.audioMid);
    return c.body(null, 204);
  });

  app.delete("/internal/rooms/:meetingId/publishers/:feedId", async (c) => {
    const p = publisherParams(c);
    await deps.calls?.removePublisher(p.meetingId, p.feedId);
    return c.body(null, 204);
  });

  app.post("/internal/rooms/:meetingId/participants", async (c) => {
    const id = params(c).meetingId;
    const body = parse(participantBody, c.get("body"));
    const p = await deps.rooms.admitParticipant(id, body.participantId);
    return c.json({
      janusToken: p.token,
      room: p.room,
      feedId: p.feedId,
      janusUrl: deps.janusUrl,
      iceServers: deps.iceServers,
    });
  });

  app.delete("/internal/rooms/:meetingId/participants/:participantId", async (c) => {
    const p = params(c);
    return c.json(await deps.rooms.removeParticipant(p.meetingId, p.participantId!));
  });

  app.post("/internal/rooms/:meetingId/moderate", async (c) => {
    const id = params(c).meetingId;
    const body = parse(moderateBody, c.get("body"));
    const mute = (body.muteAudio ?? body.muteVideo) as boolean;
    await deps.rooms.moderate(id, body.participantId, body.mid, mute);
    return c.json({ ok: true });
  });

  app.notFound((c) => c.json({ error: "not found" }, 404));

  // One place maps errors: user errors with their message, Janus trouble as 502/503, the rest 500.
  app.onError((err, c) => {
    if (err instanceof BadRequest) return c.json({ error: err.message, fields: err.fields }, 400);
    if (err instanceof RoomProblem) return c.json({ error: err.message }, err.status);
    if (err instanceof CallProblem) return c.json({ error: err.message }, err.status);
    if (err instanceof JanusUnavailable) return c.json({ error: "Janus is not connected, retry shortly" }, 503);
    if (err instanceof JanusRequestFailed) {
      log.error("Janus request failed", { path: c.req.path, request: err.request, janusError: err.code });
      return c.json({ error: "Janus refused the request" }, 502);
    }
    log.error("unexpected error", { path: c.req.path, error: String(err) });
    return c.json({ error: "internal error" }, 500);
  });

  return app;
}

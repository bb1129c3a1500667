// The gateway's HTTP API for the web app: unsigned /health, everything under /internal signed with
// the shared secret (gateway/signing.ts). Room secrets and the Janus admin secret never appear here.

import { Hono } from "hono";
import type { Context, Next } from "hono";
import { z } from "zod";
import { logger } from "../lib/log.ts";
import type { IceServer } from "./config.ts";
import { JanusUnavailable } from "./janus_link.ts";
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyRequest } from "./signing.ts";
import { JanusRequestFailed, RoomProblem, type VideoRoomManager } from "./videoroom.ts";

const log = logger("gateway-http");

const MAX_BODY_BYTES = 16 * 1024;

export interface HttpApiDeps {
  secret: string;
  rooms: VideoRoomManager;
  janusConnected: () => boolean;
  /** What browsers get to reach Janus. */
  janusUrl: string;
  iceServers: IceServer[];
}

type Env = { Variables: { body: unknown } };

const meetingId = z.string().regex(/^\d{10}$/, "must be 10 digits");
const participantId = z.string().min(1).max(100).regex(/^[A-Za-z0-9_-]+$/, "letters, digits, - and _ only");

const roomBody = z.object({
  title: z.string().max(200).optional(),
  maxPublishers: z.number().int().min(1).max(500).optional(),
}).strict();

const participantBody = z.object({ participantId }).strict();

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
    const result = await verifyRequest(secret, c.req.method, url.pathname + url.search, body, {
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
    return c.json(await deps.rooms.destroyRoom(id));
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

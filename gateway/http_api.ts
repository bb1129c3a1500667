// The gateway's HTTP API for the web app: unsigned /health, everything under /internal signed with
// the shared secret (lib/common/signing.ts). Paths, bodies and their schemas are the contract in
// lib/contracts/gateway_api.ts (docs/internal-api.md); every error is problem details
// (lib/contracts/problem.ts), as in the web app. Room secrets and the Janus admin secret never
// appear here.

import { Hono } from "hono";
import type { Context, Next } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import { BadRequest, ValidationError } from "../lib/common/errors.ts";
import { logger } from "../lib/common/log.ts";
import {
  callIdParam,
  dialOutBody,
  feedIdParam,
  GATEWAY_ROUTES as R,
  type GatewayHealth,
  type MediaAccess,
  meetingIdParam,
  moderateBody,
  muteBody,
  participantBody,
  participantIdParam,
  publisherBody,
  recordingIdParam,
  recordingNamesBody,
  roomBody,
  startRecordingBody,
} from "../lib/contracts/gateway_api.ts";
import { domainAnswer, fieldErrors, problem, problemResponse, UNEXPECTED } from "../lib/contracts/problem.ts";
import { CallProblem } from "./calls/controller.ts";
import type { CallController } from "./calls/controller.ts";
import type { IceServer } from "./config.ts";
import { JanusUnavailable } from "./janus/link.ts";
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyRequest } from "../lib/common/signing.ts";
import { JanusRequestFailed } from "./plugins/request.ts";
import { RoomProblem } from "./plugins/room_registry.ts";
import type { VideoRoomManager } from "./plugins/videoroom.ts";
import type { Recordings } from "./recording/service.ts";
import { serveFile } from "./recording/download.ts";

const log = logger("gateway-http");

/** Largest request body; hono/body-limit refuses more with 413 before it is read (Content-Length) or at the limit (chunked). */
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
  /** Recording and post-processing; without it the recording endpoints answer 404. */
  recordings?: Recordings | null;
}

type Env = { Variables: { body: unknown } };

/** A request that fails validation: 422 problem details with a message per field. */
function parse<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const res = schema.safeParse(value);
  if (res.success) return res.data;
  throw new ValidationError(fieldErrors(res.error), "invalid request");
}

/** Validates URL parameters, so field messages name the parameter. */
function params(c: Context<Env>): { meetingId: string; participantId?: string } {
  return parse(
    z.object({ meetingId: meetingIdParam, participantId: participantIdParam.optional() }),
    { meetingId: c.req.param("meetingId"), participantId: c.req.param("participantId") },
  );
}

/** Verifies the signature over the raw body, then parses it as JSON for the handler. */
function requireSignature(secret: string) {
  return async function requireSignature(c: Context<Env>, next: Next) {
    const body = new TextDecoder().decode(await c.req.arrayBuffer());
    const url = new URL(c.req.url);
    const result = verifyRequest(secret, c.req.method, url.pathname + url.search, body, {
      timestamp: c.req.header(TIMESTAMP_HEADER) ?? null,
      signature: c.req.header(SIGNATURE_HEADER) ?? null,
    });
    if (!result.ok) {
      log.warn("rejected unsigned or badly signed request", { method: c.req.method, reason: result.reason });
      return problem(401, "the request is not signed with the shared secret");
    }
    let parsed: unknown = {};
    if (body.length) {
      try {
        parsed = JSON.parse(body);
      } catch {
        throw new BadRequest("the body must be JSON");
      }
    }
    c.set("body", parsed);
    await next();
  };
}

export function createHttpApi(deps: HttpApiDeps): Hono<Env> {
  const app = new Hono<Env>();

  app.get(R.health, (c) =>
    c.json<GatewayHealth>({
      ok: true,
      janus: deps.janusConnected() ? "connected" : "disconnected",
      rooms: deps.rooms.roomCount,
    }));

  app.use(
    "/internal/*",
    bodyLimit({ maxSize: MAX_BODY_BYTES, onError: () => problem(413, `request body over ${MAX_BODY_BYTES} bytes`) }),
  );
  app.use("/internal/*", requireSignature(deps.secret));

  app.put(R.room, async (c) => {
    const id = params(c).meetingId;
    const body = parse(roomBody, c.get("body"));
    const { room, created } = await deps.rooms.ensureRoom(id, body);
    return c.json({ room }, created ? 201 : 200);
  });

  app.delete(R.room, async (c) => {
    const id = params(c).meetingId;
    // The meeting ended: its recording stops and goes to processing, every call of it gets a BYE
    // and its SIP bridge stops, then the room goes.
    await deps.recordings?.meetingEnded(id);
    await deps.calls?.meetingEnded(id);
    return c.json(await deps.rooms.destroyRoom(id));
  });

  // --- calls (docs/sip-integration.md, "Web → gateway") ------------------------------------------

  const calls = () => {
    if (!deps.calls) throw new CallProblem(404, "no such call");
    return deps.calls;
  };
  const callParam = (c: Context<Env>) =>
    parse(z.object({ callId: callIdParam }), { callId: c.req.param("callId") }).callId;

  app.get(R.calls, (c) => {
    const meeting = c.req.query("meetingId");
    if (meeting !== undefined) parse(z.object({ meetingId: meetingIdParam }), { meetingId: meeting });
    return c.json({ calls: deps.calls?.list(meeting) ?? [] });
  });

  app.get(R.call, (c) => c.json(calls().get(callParam(c))));

  app.post(R.callAdmit, async (c) => {
    await calls().admit(callParam(c));
    return c.body(null, 204);
  });

  app.post(R.callMute, async (c) => {
    const id = callParam(c);
    const body = parse(muteBody, c.get("body"));
    await calls().setMuted(id, body.muted);
    return c.body(null, 204);
  });

  app.delete(R.call, async (c) => {
    await calls().hangup(callParam(c));
    return c.body(null, 204);
  });

  app.post(R.dialOut, (c) => {
    const id = params(c).meetingId;
    const body = parse(dialOutBody, c.get("body"));
    if (!deps.calls) throw new CallProblem(503, "SIP is off");
    return c.json(deps.calls.dialOut(id, body.target, body.displayName), 202);
  });

  const publisherParams = (c: Context<Env>) =>
    parse(z.object({ meetingId: meetingIdParam, feedId: feedIdParam }), {
      meetingId: c.req.param("meetingId"),
      feedId: c.req.param("feedId"),
    });

  app.put(R.publisher, async (c) => {
    const p = publisherParams(c);
    const body = parse(publisherBody, c.get("body"));
    await deps.calls?.setPublisher(p.meetingId, p.feedId, body.audioMid);
    return c.body(null, 204);
  });

  app.delete(R.publisher, async (c) => {
    const p = publisherParams(c);
    await deps.calls?.removePublisher(p.meetingId, p.feedId);
    return c.body(null, 204);
  });

  app.post(R.participants, async (c) => {
    const id = params(c).meetingId;
    const body = parse(participantBody, c.get("body"));
    const p = await deps.rooms.admitParticipant(id, body.participantId);
    return c.json<MediaAccess>({
      janusToken: p.token,
      room: p.room,
      feedId: p.feedId,
      janusUrl: deps.janusUrl,
      iceServers: deps.iceServers,
    });
  });

  app.delete(R.participant, async (c) => {
    const p = params(c);
    return c.json(await deps.rooms.removeParticipant(p.meetingId, p.participantId!));
  });

  app.post(R.moderate, async (c) => {
    const id = params(c).meetingId;
    const body = parse(moderateBody, c.get("body"));
    const mute = (body.muteAudio ?? body.muteVideo) as boolean;
    await deps.rooms.moderate(id, body.participantId, body.mid, mute);
    return c.json({ ok: true as const });
  });

  // --- recordings (docs/gateway.md, "Recording") ------------------------------------------------

  const recordings = () => {
    if (!deps.recordings) throw new RoomProblem(404, "recording is not available on this gateway");
    return deps.recordings;
  };
  const recordingParam = (c: Context<Env>) =>
    parse(z.object({ recordingId: recordingIdParam }), { recordingId: c.req.param("recordingId") }).recordingId;

  app.post(R.recording, async (c) => {
    const id = params(c).meetingId;
    const body = parse(startRecordingBody, c.get("body"));
    return c.json(await recordings().start(id, body.recordingId, body.names), 201);
  });

  app.delete(R.recording, async (c) => c.json(await recordings().stop(params(c).meetingId)));

  app.get(R.recordings, async (c) => {
    const meetingId = parse(z.object({ meetingId: meetingIdParam }), { meetingId: c.req.query("meetingId") }).meetingId;
    return c.json({ recordings: await recordings().list(meetingId) });
  });

  app.get(R.recordingStatus, async (c) => c.json(await recordings().status(recordingParam(c))));

  app.post(R.recordingNames, async (c) => {
    const id = recordingParam(c);
    await recordings().addNames(id, parse(recordingNamesBody, c.get("body")).names);
    return c.body(null, 204);
  });

  app.get(R.recordingFile, async (c) => {
    const path = await recordings().filePath(recordingParam(c));
    return await serveFile(path, c.req.header("range") ?? null, "video/mp4");
  });

  app.delete(R.recordingStatus, async (c) => {
    await recordings().delete(recordingParam(c));
    return c.body(null, 204);
  });

  app.notFound(() => problem(404, "not found"));

  // One place maps errors, to the same problem details as the web app (lib/contracts/problem.ts):
  // domain errors by kind, room and call problems with their status and message, Janus trouble as
  // 502/503, the rest a generic 500 (logged, never sent).
  app.onError((err, c) => {
    const domain = domainAnswer(err);
    if (domain) return problemResponse(domain);
    if (err instanceof RoomProblem || err instanceof CallProblem) return problem(err.status, err.message);
    if (err instanceof JanusUnavailable) return problem(503, "Janus is not connected, retry shortly");
    if (err instanceof JanusRequestFailed) {
      log.error("Janus request failed", { path: c.req.path, request: err.request, janusError: err.code });
      return problem(502, "Janus refused the request");
    }
    log.error("unexpected error", { path: c.req.path, error: String(err) });
    return problemResponse({ ...UNEXPECTED, headers: {} });
  });

  return app;
}

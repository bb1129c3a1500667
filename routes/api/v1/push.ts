// /api/v1/push/…: the VAPID public key and the caller's web-push subscriptions.

import { Hono } from "hono";
import { z } from "zod";
import { NotFound, ValidationError } from "../../../lib/common/errors.ts";
import { requireUser } from "../../../lib/web/middleware.ts";
import type { Env } from "../../../lib/web/types.ts";
import { parseJson } from "../../../lib/web/validate.ts";
import { logger } from "../../../lib/common/log.ts";
import {
  deleteSubscription,
  deviceLabel,
  endpointProblem,
  isValidP256Point,
  listSubscriptions,
  saveSubscription,
  subscriptionId,
  subscriptionSchema,
  TooManyDevices,
} from "../../../lib/reminders/subscriptions.ts";
import type { PushSubscriptionRecord } from "../../../lib/reminders/subscriptions.ts";
import { loadVapidKeys } from "../../../lib/reminders/vapid.ts";

const log = logger("api");

export const apiPushRoutes = new Hono<Env>();

/** The key browsers pass as `applicationServerKey` when subscribing (public by nature). */
apiPushRoutes.get("/api/v1/push/vapid-public-key", async (c) => {
  const { kv, config } = c.get("deps");
  return c.json({ publicKey: (await loadVapidKeys(kv, config)).publicKey });
});

/** A device as the API shows it: never the endpoint or keys (they are capabilities to push to it). */
function apiDevice(sub: PushSubscriptionRecord) {
  return { id: sub.id, label: sub.label, createdAt: sub.createdAt };
}

apiPushRoutes.get("/api/v1/push/subscriptions", requireUser(), async (c) => {
  const subs = await listSubscriptions(c.get("deps").kv, c.get("user")!.id);
  return c.json({ devices: subs.map(apiDevice) });
});

/** Stores this browser's PushSubscription (201; 200 when the same device re-sends it). */
apiPushRoutes.post("/api/v1/push/subscriptions", requireUser(), async (c) => {
  const { kv, config } = c.get("deps");
  const user = c.get("user")!;
  const input = await parseJson(c, subscriptionSchema);
  if (!isValidP256Point(input.keys.p256dh)) {
    throw new ValidationError({ "keys.p256dh": "keys.p256dh is not a point on the P-256 curve" });
  }
  // Only a development server may push to loopback or private hosts (a local test push service).
  const problem = await endpointProblem(input.endpoint, { allowPrivate: config.env === "development" });
  if (problem) throw new ValidationError({ endpoint: problem });
  let saved;
  try {
    saved = await saveSubscription(kv, user.id, input, deviceLabel(c.req.header("user-agent") ?? ""));
  } catch (err) {
    if (err instanceof TooManyDevices) throw new ValidationError({ endpoint: err.message });
    throw err;
  }
  if (saved.created) log.info("push device added", { userId: user.id, subscription: saved.record.id });
  return c.json(apiDevice(saved.record), saved.created ? 201 : 200);
});

const unsubscribeSchema = z.object({
  endpoint: z.string({ error: "Send the endpoint of the subscription to remove" }).min(1, "Send the endpoint")
    .max(2048, "The endpoint URL is too long"),
});

/** Removes one of the caller's devices by its endpoint (204), or 404 when it is not theirs. */
apiPushRoutes.delete("/api/v1/push/subscriptions", requireUser(), async (c) => {
  const user = c.get("user")!;
  const { endpoint } = await parseJson(c, unsubscribeSchema);
  const removed = await deleteSubscription(c.get("deps").kv, user.id, await subscriptionId(endpoint));
  if (!removed) throw new NotFound("No device of yours has that endpoint");
  log.info("push device removed", { userId: user.id });
  return c.body(null, 204);
});

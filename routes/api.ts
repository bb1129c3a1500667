// REST API v1 for scripts and integrations (Bearer personal access tokens, or the browser session).
// Unknown /api/* paths fall through to app.notFound, which answers with problem+json.

import { Hono } from "hono";
import { z } from "zod";
import { revokeApiToken } from "../lib/accounts/api_tokens.ts";
import type { User } from "../lib/accounts/users.ts";
import { NotFound, ValidationError } from "../lib/common/errors.ts";
import { requireUser } from "../lib/web/middleware.ts";
import type { Env } from "../lib/web/types.ts";
import { parseJson } from "../lib/web/validate.ts";
import { logger } from "../lib/common/log.ts";
import { getReminderMinutes, reminderMinutesSchema, setReminderMinutes } from "../lib/reminders/prefs.ts";
import { replanForPerson } from "../lib/reminders/reminders.ts";
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
} from "../lib/reminders/subscriptions.ts";
import type { PushSubscriptionRecord } from "../lib/reminders/subscriptions.ts";
import { loadVapidKeys } from "../lib/reminders/vapid.ts";

const log = logger("api");

export const apiRoutes = new Hono<Env>();

/** What the API tells a person about their own account: never the password hash or TOTP secret. */
export interface ApiMe {
  id: string;
  name: string;
  email: string;
  emailVerified: boolean;
  role: User["role"];
  timeZone: string;
  twoFactorEnabled: boolean;
  createdAt: string;
}

export function apiMe(user: User): ApiMe {
  return {
    id: user.id,
    name: user.name,
    email: user.email,
    emailVerified: user.emailVerified,
    role: user.role,
    timeZone: user.timeZone,
    twoFactorEnabled: Boolean(user.totpSecret),
    createdAt: user.createdAt,
  };
}

apiRoutes.use("/api/v1/*", async function noStore(c, next) {
  await next();
  c.res.headers.set("Cache-Control", "no-store");
});

apiRoutes.get("/api/v1/me", requireUser(), (c) => c.json(apiMe(c.get("user")!)));

/** Revokes one of the caller's own tokens (a script can revoke itself); others' ids are 404. */
apiRoutes.delete("/api/v1/tokens/:id", requireUser(), async (c) => {
  const revoked = await revokeApiToken(c.get("deps").kv, c.get("user")!.id, c.req.param("id"));
  if (!revoked) throw new NotFound("There is no such token among yours");
  return c.body(null, 204);
});

// ---------------------------------------------------------------------------------------------
// Reminder preferences and web push devices

const patchMeSchema = z.strictObject({
  reminderMinutes: reminderMinutesSchema.optional(),
}, {
  error: (issue) =>
    issue.code === "unrecognized_keys" ? "Only reminderMinutes can be changed here" : "Send a JSON object",
});

/** Changes the caller's own settings; answers with the account and the reminder times now in force. */
apiRoutes.patch("/api/v1/me", requireUser(), async (c) => {
  const { kv } = c.get("deps");
  const user = c.get("user")!;
  const body = await parseJson(c, patchMeSchema);
  if (body.reminderMinutes !== undefined) {
    await setReminderMinutes(kv, user.id, body.reminderMinutes);
    await replanForPerson(kv, user.id);
  }
  return c.json({ ...apiMe(user), reminderMinutes: await getReminderMinutes(kv, user.id) });
});

/** The key browsers pass as `applicationServerKey` when subscribing (public by nature). */
apiRoutes.get("/api/v1/push/vapid-public-key", async (c) => {
  const { kv, config } = c.get("deps");
  return c.json({ publicKey: (await loadVapidKeys(kv, config)).publicKey });
});

/** A device as the API shows it: never the endpoint or keys (they are capabilities to push to it). */
function apiDevice(sub: PushSubscriptionRecord) {
  return { id: sub.id, label: sub.label, createdAt: sub.createdAt };
}

apiRoutes.get("/api/v1/push/subscriptions", requireUser(), async (c) => {
  const subs = await listSubscriptions(c.get("deps").kv, c.get("user")!.id);
  return c.json({ devices: subs.map(apiDevice) });
});

/** Stores this browser's PushSubscription (201; 200 when the same device re-sends it). */
apiRoutes.post("/api/v1/push/subscriptions", requireUser(), async (c) => {
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
apiRoutes.delete("/api/v1/push/subscriptions", requireUser(), async (c) => {
  const user = c.get("user")!;
  const { endpoint } = await parseJson(c, unsubscribeSchema);
  const removed = await deleteSubscription(c.get("deps").kv, user.id, await subscriptionId(endpoint));
  if (!removed) throw new NotFound("No device of yours has that endpoint");
  log.info("push device removed", { userId: user.id });
  return c.body(null, 204);
});

// GET/PATCH /api/v1/me: the caller's own account (Bearer personal access token or browser session).

import { Hono } from "hono";
import { z } from "zod";
import type { User } from "../../../lib/accounts/users.ts";
import { requireUser } from "../../../lib/web/middleware.ts";
import type { Env } from "../../../lib/web/types.ts";
import { parseJson } from "../../../lib/web/validate.ts";
import { getReminderMinutes, reminderMinutesSchema, setReminderMinutes } from "../../../lib/reminders/prefs.ts";
import { replanForPerson } from "../../../lib/reminders/reminders.ts";

export const apiMeRoutes = new Hono<Env>();

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

apiMeRoutes.get("/api/v1/me", requireUser(), (c) => c.json(apiMe(c.get("user")!)));

// ---------------------------------------------------------------------------------------------
// Reminder preferences and web push devices

const patchMeSchema = z.strictObject({
  reminderMinutes: reminderMinutesSchema.optional(),
}, {
  error: (issue) =>
    issue.code === "unrecognized_keys" ? "Only reminderMinutes can be changed here" : "Send a JSON object",
});

/** Changes the caller's own settings; answers with the account and the reminder times now in force. */
apiMeRoutes.patch("/api/v1/me", requireUser(), async (c) => {
  const { kv } = c.get("deps");
  const user = c.get("user")!;
  const body = await parseJson(c, patchMeSchema);
  if (body.reminderMinutes !== undefined) {
    await setReminderMinutes(kv, user.id, body.reminderMinutes);
    await replanForPerson(kv, user.id);
  }
  return c.json({ ...apiMe(user), reminderMinutes: await getReminderMinutes(kv, user.id) });
});

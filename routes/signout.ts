// POST /signout: ends the current session.

import { Hono } from "hono";
import type { Env } from "../lib/web/types.ts";
import { endCurrentSession } from "../lib/web/signin.ts";

export const signoutRoutes = new Hono<Env>();

signoutRoutes.post("/signout", async (c) => {
  await endCurrentSession(c);
  return c.redirect("/", 303);
});

// GET /api/v1/calendar: the caller's calendar feed URL (created on first use).

import { Hono } from "hono";
import { requireUser } from "../../../lib/web/middleware.ts";
import type { Env } from "../../../lib/web/types.ts";
import { ensureFeed, feedUrl } from "../../../lib/scheduling/feed.ts";

export const apiCalendarRoutes = new Hono<Env>();

apiCalendarRoutes.get("/api/v1/calendar", requireUser(), async (c) => {
  const { kv, config } = c.get("deps");
  const feed = await ensureFeed(kv, c.get("user")!.id);
  return c.json({ feedUrl: feedUrl(config.publicUrl, feed.token) });
});

// GET /calendar/:file: the personal calendar feed (`/calendar/:token.ics`, METHOD:PUBLISH, ETag/304,
// 60 requests a minute per feed). Its secret URL is managed at /account/calendar.

import { Hono } from "hono";
import { reserveAttempt } from "../lib/common/rate_limit.ts";
import type { RateLimitRule } from "../lib/common/rate_limit.ts";
import { hashToken } from "../lib/common/ids.ts";
import { NotFound } from "../lib/common/errors.ts";
import type { Env } from "../lib/web/types.ts";
import { feedOwner, loadFeed } from "../lib/scheduling/feed.ts";

export const calendarFeedRoutes = new Hono<Env>();

/** Calendar apps poll every few minutes; 60 a minute leaves room for several devices and refreshes. */
export const FEED_RULE: RateLimitRule = { max: 60, windowMs: 60_000 };

calendarFeedRoutes.get("/calendar/:file", async (c) => {
  const file = c.req.param("file");
  if (!file.endsWith(".ics")) throw new NotFound("meetings.error.noCalendar");
  const token = file.slice(0, -4);
  const { kv, config } = c.get("deps");
  const owner = await feedOwner(kv, token);
  if (!owner) throw new NotFound("meetings.error.calendarGone");
  const subject = await hashToken(token);
  // Counts every request, not only failures, in one checked commit (parallel polls cannot race past it).
  await reserveAttempt(kv, "calendar_feed", [subject], FEED_RULE);
  const feed = await loadFeed(kv, config, owner);
  const etag = feed.etag;
  const headers = {
    ETag: etag,
    "Cache-Control": "private, max-age=0, must-revalidate",
  };
  const match = c.req.header("if-none-match");
  if (match && match.split(",").map((s) => s.trim().replace(/^W\//, "")).includes(etag)) {
    return c.body(null, 304, headers);
  }
  return c.body(feed.render(), 200, {
    ...headers,
    "Content-Type": "text/calendar; charset=utf-8; method=PUBLISH",
    "Content-Disposition": 'inline; filename="talkspace.ics"',
  });
});

// The personal calendar feed (`/calendar/:token.ics`, METHOD:PUBLISH, ETag/304, 60 requests a
// minute per feed) and the account page that shows, regenerates and revokes its secret URL.

import { Hono } from "hono";
import { h } from "preact";
import { assertNotLimited, recordFailure } from "../lib/common/rate_limit.ts";
import type { RateLimitRule } from "../lib/common/rate_limit.ts";
import { hashToken } from "../lib/common/ids.ts";
import { NotFound } from "../lib/common/errors.ts";
import { requireBrowserSession, requireUser } from "../lib/web/middleware.ts";
import { renderPage } from "../lib/web/render.tsx";
import type { Env } from "../lib/web/types.ts";
import {
  feedEtag,
  feedOwner,
  feedUrl,
  getFeed,
  regenerateFeed,
  renderFeed,
  revokeFeed,
} from "../lib/scheduling/feed.ts";
import { Form, Notice } from "../components/Form.tsx";

export const calendarRoutes = new Hono<Env>();

/** Calendar apps poll every few minutes; 60 a minute leaves room for several devices and refreshes. */
export const FEED_RULE: RateLimitRule = { max: 60, windowMs: 60_000 };

calendarRoutes.get("/calendar/:file", async (c) => {
  const file = c.req.param("file");
  if (!file.endsWith(".ics")) throw new NotFound("We could not find that calendar");
  const token = file.slice(0, -4);
  const { kv, config } = c.get("deps");
  const owner = await feedOwner(kv, token);
  if (!owner) throw new NotFound("We could not find that calendar; it may have been regenerated or revoked");
  const subject = await hashToken(token);
  await assertNotLimited(kv, "calendar_feed", [subject], FEED_RULE);
  await recordFailure(kv, "calendar_feed", [subject], FEED_RULE); // counts every request, not only failures
  const etag = await feedEtag(kv, owner);
  const headers = {
    ETag: etag,
    "Cache-Control": "private, max-age=0, must-revalidate",
  };
  const match = c.req.header("if-none-match");
  if (match && match.split(",").map((s) => s.trim().replace(/^W\//, "")).includes(etag)) {
    return c.body(null, 304, headers);
  }
  const body = await renderFeed(kv, config, owner);
  return c.body(body, 200, {
    ...headers,
    "Content-Type": "text/calendar; charset=utf-8; method=PUBLISH",
    "Content-Disposition": 'inline; filename="talkspace.ics"',
  });
});

const NOTICES: Record<string, string> = {
  regenerated: "Your calendar has a new address. The old one no longer works: update your calendar apps.",
  revoked: "Your calendar feed is turned off. Nobody can read it through the old address.",
};

calendarRoutes.use("/account/calendar", requireUser(), requireBrowserSession());
calendarRoutes.use("/account/calendar/*", requireUser(), requireBrowserSession());

calendarRoutes.get("/account/calendar", async (c) => {
  const { kv, config } = c.get("deps");
  const user = c.get("user")!;
  const feed = await getFeed(kv, user.id);
  const notice = NOTICES[c.req.query("notice") ?? ""];
  const url = feed ? feedUrl(config.publicUrl, feed.token) : null;
  const webcal = url ? url.replace(/^https?:/, "webcal:") : null;
  // Plain h() calls: this module is .ts, so no JSX.
  const actions = url
    ? [
      h("div", { class: "field" }, [
        h("label", { for: "feed-url" }, "Feed address"),
        h("input", { id: "feed-url", type: "text", readonly: true, value: url, class: "calendar-feed-url" }),
      ]),
      h("p", null, h("a", { href: webcal!, class: "button" }, "Subscribe (webcal)")),
      h("div", { class: "calendar-feed-actions" }, [
        h(Form, {
          action: "/account/calendar/regenerate",
          class: "inline",
          children: h("button", { type: "submit", class: "secondary" }, "Make a new address"),
        }),
        h(Form, {
          action: "/account/calendar/revoke",
          class: "inline",
          children: h("button", { type: "submit", class: "danger" }, "Turn off the feed"),
        }),
      ]),
    ]
    : [h(Form, {
      action: "/account/calendar/regenerate",
      children: h("button", { type: "submit" }, "Create my feed address"),
    })];
  return renderPage(
    c,
    h("section", { class: "card" }, [
      h("h1", null, "Calendar feed"),
      notice ? h(Notice, { kind: "success", children: notice }) : null,
      h(
        "p",
        null,
        "Subscribe to this address in your calendar app to see every meeting you host or are invited to. Keep it " +
          "private: anyone with the address can read your meeting links and passcodes.",
      ),
      user.emailVerified ? null : h(Notice, {
        kind: "info",
        children: "Meetings you are invited to appear once you confirm your email address; until then the feed " +
          "shows meetings you host.",
      }),
      ...actions,
    ]),
    { title: "Calendar feed" },
  );
});

calendarRoutes.post("/account/calendar/regenerate", async (c) => {
  await regenerateFeed(c.get("deps").kv, c.get("user")!.id);
  return c.redirect("/account/calendar?notice=regenerated", 303);
});

calendarRoutes.post("/account/calendar/revoke", async (c) => {
  await revokeFeed(c.get("deps").kv, c.get("user")!.id);
  return c.redirect("/account/calendar?notice=revoked", 303);
});

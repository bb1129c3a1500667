// /account/calendar…: the account page that shows, regenerates and revokes the calendar feed's
// secret URL.

import { Hono } from "hono";
import { h } from "preact";
import { requireBrowserSession, requireUser } from "../../lib/web/middleware.ts";
import { renderPage } from "../../lib/web/render.tsx";
import type { Env } from "../../lib/web/types.ts";
import { feedUrl, getFeed, regenerateFeed, revokeFeed } from "../../lib/scheduling/feed.ts";
import { Form, Notice } from "../../components/Form.tsx";

export const accountCalendarRoutes = new Hono<Env>();

const NOTICES: Record<string, string> = {
  regenerated: "Your calendar has a new address. The old one no longer works: update your calendar apps.",
  revoked: "Your calendar feed is turned off. Nobody can read it through the old address.",
};

accountCalendarRoutes.use("/account/calendar", requireUser(), requireBrowserSession());
accountCalendarRoutes.use("/account/calendar/*", requireUser(), requireBrowserSession());

accountCalendarRoutes.get("/account/calendar", async (c) => {
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

accountCalendarRoutes.post("/account/calendar/regenerate", async (c) => {
  await regenerateFeed(c.get("deps").kv, c.get("user")!.id);
  return c.redirect("/account/calendar?notice=regenerated", 303);
});

accountCalendarRoutes.post("/account/calendar/revoke", async (c) => {
  await revokeFeed(c.get("deps").kv, c.get("user")!.id);
  return c.redirect("/account/calendar?notice=revoked", 303);
});

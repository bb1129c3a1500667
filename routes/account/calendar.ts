// /account/calendar…: the account page that shows, regenerates and revokes the calendar feed's
// secret URL.

import { Hono } from "hono";
import { h } from "preact";
import { requireBrowserSession, requireUser } from "../../lib/web/middleware.ts";
import { renderPage } from "../../lib/web/render.tsx";
import type { Env } from "../../lib/web/types.ts";
import { feedUrl, getFeed, regenerateFeed, revokeFeed } from "../../lib/scheduling/feed.ts";
import { Form, Notice } from "../../components/Form.tsx";
import { usePage } from "../../lib/web/page_context.ts";
import { requestLocale } from "../../lib/web/i18n.ts";
import { translator } from "../../lib/i18n/translate.ts";
import type { MessageKey } from "../../lib/i18n/client.ts";

export const accountCalendarRoutes = new Hono<Env>();

const NOTICES: Record<string, MessageKey> = {
  regenerated: "accounts.calendar.regenerated",
  revoked: "accounts.calendar.revoked",
};

/** The feed page's body, translated when it renders. Plain h() calls: this module is .ts, so no JSX. */
function CalendarPage(
  { url, notice, emailVerified }: { url: string | null; notice?: MessageKey; emailVerified: boolean },
) {
  const { t } = usePage();
  const webcal = url ? url.replace(/^https?:/, "webcal:") : null;
  const actions = url
    ? [
      h("div", { class: "field" }, [
        h("label", { for: "feed-url" }, t("accounts.calendar.feedAddress")),
        h("input", { id: "feed-url", type: "text", readonly: true, value: url, class: "calendar-feed-url" }),
      ]),
      h("p", null, h("a", { href: webcal!, class: "button" }, t("accounts.calendar.subscribe"))),
      h("div", { class: "calendar-feed-actions" }, [
        h(Form, {
          action: "/account/calendar/regenerate",
          class: "inline",
          children: h("button", { type: "submit", class: "secondary" }, t("accounts.calendar.newAddress")),
        }),
        h(Form, {
          action: "/account/calendar/revoke",
          class: "inline",
          children: h("button", { type: "submit", class: "danger" }, t("accounts.calendar.turnOff")),
        }),
      ]),
    ]
    : [h(Form, {
      action: "/account/calendar/regenerate",
      children: h("button", { type: "submit" }, t("accounts.calendar.create")),
    })];
  return h("section", { class: "card" }, [
    h("h1", null, t("accounts.calendar.title")),
    notice ? h(Notice, { kind: "success", children: t(notice) }) : null,
    h("p", null, t("accounts.calendar.lead")),
    emailVerified ? null : h(Notice, { kind: "info", children: t("accounts.calendar.unverified") }),
    ...actions,
  ]);
}

accountCalendarRoutes.use("/account/calendar", requireUser(), requireBrowserSession());
accountCalendarRoutes.use("/account/calendar/*", requireUser(), requireBrowserSession());

accountCalendarRoutes.get("/account/calendar", async (c) => {
  const { kv, config } = c.get("deps");
  const user = c.get("user")!;
  const feed = await getFeed(kv, user.id);
  const noticeKey = c.req.query("notice") ?? "";
  const notice = Object.hasOwn(NOTICES, noticeKey) ? NOTICES[noticeKey] : undefined;
  const url = feed ? feedUrl(config.publicUrl, feed.token) : null;
  return renderPage(c, h(CalendarPage, { url, notice, emailVerified: user.emailVerified }), {
    title: translator(requestLocale(c))("accounts.calendar.title"),
  });
});

accountCalendarRoutes.post("/account/calendar/regenerate", async (c) => {
  await regenerateFeed(c.get("deps").kv, c.get("user")!.id);
  return c.redirect("/account/calendar?notice=regenerated", 303);
});

accountCalendarRoutes.post("/account/calendar/revoke", async (c) => {
  await revokeFeed(c.get("deps").kv, c.get("user")!.id);
  return c.redirect("/account/calendar?notice=revoked", 303);
});

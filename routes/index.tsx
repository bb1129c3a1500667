// The landing page: what Talkspace is, the way in, and joining a meeting by its ID.

import { Hono } from "hono";
import { renderPage } from "../lib/web/render.tsx";
import type { Env } from "../lib/web/types.ts";
import { JoinForm } from "../components/JoinForm.tsx";
import { Notice } from "../components/Form.tsx";
import { requestLocale } from "../lib/web/i18n.ts";
import { translator } from "../lib/i18n/translate.ts";
import type { MessageKey } from "../lib/i18n/messages/en.ts";

export const homeRoutes = new Hono<Env>();

const HOME_NOTICES: Record<string, MessageKey> = {
  "account-deleted": "home.accountDeleted",
};

homeRoutes.get("/", (c) => {
  const user = c.get("user");
  const noticeKey = c.req.query("notice") ?? "";
  const notice = HOME_NOTICES[noticeKey];
  const t = translator(requestLocale(c));
  return renderPage(
    c,
    <>
      {notice && <Notice kind="success">{t(notice)}</Notice>}
      <section class="hero">
        <h1>{t("home.title")}</h1>
        <p class="lead">{t("home.lead")}</p>
        <p>
          {user ? <a class="button" href="/dashboard">{t("home.dashboard")}</a> : (
            <>
              <a class="button" href="/signup">{t("home.createAccount")}</a> <a href="/signin">{t("site.signIn")}</a>
            </>
          )}
        </p>
      </section>
      <section class="card narrow">
        <JoinForm askName={!user} />
      </section>
    </>,
    { title: "", cacheKey: notice ? noticeKey : "" },
  );
});

homeRoutes.get("/healthz", (c) => c.json({ ok: true }));

// The landing page: what Talkspace is, the way in, and joining a meeting by its ID.

import { Hono } from "hono";
import { renderPage } from "../lib/web/render.tsx";
import type { Env } from "../lib/web/types.ts";
import { JoinForm } from "../components/JoinForm.tsx";
import { Notice } from "../components/Form.tsx";
import { usePage } from "../lib/web/page_context.ts";
import type { MessageKey } from "../lib/i18n/messages/en.ts";

export const homeRoutes = new Hono<Env>();

const HOME_NOTICES: Record<string, MessageKey> = {
  "account-deleted": "home.accountDeleted",
};

homeRoutes.get("/", (c) => {
  const user = c.get("user");
  const noticeKey = c.req.query("notice") ?? "";
  const notice = HOME_NOTICES[noticeKey];
  // A component, so its strings are looked up only when the page is rendered, not on a cache hit.
  return renderPage(c, <HomePage notice={notice} signedIn={!!user} />, {
    title: "",
    cacheKey: notice ? noticeKey : "",
  });
});

function HomePage({ notice, signedIn }: { notice?: MessageKey; signedIn: boolean }) {
  const { t } = usePage();
  return (
    <>
      {notice && <Notice kind="success">{t(notice)}</Notice>}
      <section class="hero">
        <h1>{t("home.title")}</h1>
        <p class="lead">{t("home.lead")}</p>
        <p>
          {signedIn ? <a class="button" href="/dashboard">{t("home.dashboard")}</a> : (
            <>
              <a class="button" href="/signup">{t("home.createAccount")}</a> <a href="/signin">{t("site.signIn")}</a>
            </>
          )}
        </p>
      </section>
      <section class="card narrow">
        <JoinForm askName={!signedIn} />
      </section>
    </>
  );
}

homeRoutes.get("/healthz", (c) => c.json({ ok: true }));

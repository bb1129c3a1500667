// The landing page: what Talkspace is, the way in, and joining a meeting by its ID.

import { Hono } from "hono";
import { renderPage } from "../lib/web/render.tsx";
import type { Env } from "../lib/web/types.ts";
import { JoinForm } from "../components/JoinForm.tsx";
import { Notice } from "../components/Form.tsx";

export const homeRoutes = new Hono<Env>();

const HOME_NOTICES: Record<string, string> = {
  "account-deleted": "Your account and everything in it have been deleted.",
};

homeRoutes.get("/", (c) => {
  const user = c.get("user");
  const noticeKey = c.req.query("notice") ?? "";
  const notice = HOME_NOTICES[noticeKey];
  return renderPage(
    c,
    <>
      {notice && <Notice kind="success">{notice}</Notice>}
      <section class="hero">
        <h1>Meet face to face, on your own server.</h1>
        <p class="lead">
          Talkspace is video meetings you host yourself: HD video and audio in the browser, screen sharing, chat, a
          lobby, and dial-in from phones and meeting-room systems.
        </p>
        <p>
          {user ? <a class="button" href="/dashboard">Go to your dashboard</a> : (
            <>
              <a class="button" href="/signup">Create an account</a> <a href="/signin">Sign in</a>
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

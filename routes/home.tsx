// The landing page: what Talkspace is, the way in, and joining a meeting by its ID.

import { Hono } from "hono";
import { renderPage } from "../lib/http/render.tsx";
import type { Env } from "../lib/http/types.ts";
import { JoinForm } from "../components/JoinForm.tsx";

export const homeRoutes = new Hono<Env>();

homeRoutes.get("/", (c) => {
  const user = c.get("user");
  return renderPage(
    c,
    <>
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
    { title: "" },
  );
});

homeRoutes.get("/healthz", (c) => c.json({ ok: true }));

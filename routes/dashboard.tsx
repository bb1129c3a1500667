// The signed-in home: what a person can do next.

import { Hono } from "hono";
import { requireUser } from "../lib/http/middleware.ts";
import { renderPage } from "../lib/http/render.tsx";
import type { Env } from "../lib/http/types.ts";
import { Notice } from "../components/Form.tsx";

export const dashboardRoutes = new Hono<Env>();

dashboardRoutes.get("/dashboard", requireUser(), (c) => {
  const user = c.get("user")!;
  return renderPage(
    c,
    <section class="card">
      <h1>Hello, {user.name}</h1>
      {!user.emailVerified && (
        <Notice kind="info">
          Please confirm your email address with the link we sent to{" "}
          {user.email}. Until then you can sign in but cannot send invitations.{" "}
          <a href="/account/verify">Send the link again</a>
        </Notice>
      )}
      {!user.totpSecret && (
        <Notice kind="info">
          Protect your account with two-factor sign-in. <a href="/account/totp">Set it up</a>
        </Notice>
      )}
      <p>Meetings arrive here soon: start one instantly, schedule one, or join with a meeting ID.</p>
    </section>,
    { title: "Dashboard" },
  );
});

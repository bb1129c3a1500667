// The signed-in home: start a meeting, join one, and the meetings you host.

import { Hono } from "hono";
import { requireUser } from "../lib/http/middleware.ts";
import { renderPage } from "../lib/http/render.tsx";
import type { Env } from "../lib/http/types.ts";
import { listHostedMeetings } from "../lib/db/meetings.ts";
import { Form, Notice } from "../components/Form.tsx";
import { JoinForm } from "../components/JoinForm.tsx";
import { MeetingCard } from "../components/MeetingCard.tsx";

export const dashboardRoutes = new Hono<Env>();

dashboardRoutes.get("/dashboard", requireUser(), async (c) => {
  const user = c.get("user")!;
  const recent = await listHostedMeetings(c.get("deps").kv, user.id, 10);
  return renderPage(
    c,
    <>
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
        <div class="dashboard-actions">
          <div class="new-meeting">
            <h2>Start a meeting</h2>
            <p>An instant meeting with a fresh meeting ID and passcode; you are its host.</p>
            <Form action="/meetings">
              <button type="submit">New meeting</button>
            </Form>
          </div>
          <JoinForm />
        </div>
      </section>
      <section class="card">
        <h2>Your recent meetings</h2>
        {recent.length === 0 ? <p class="empty">No meetings yet. Start one above.</p> : (
          <ul class="meeting-list">
            {recent.map((m) => <MeetingCard key={m.id} meeting={m} />)}
          </ul>
        )}
      </section>
    </>,
    { title: "Dashboard" },
  );
});

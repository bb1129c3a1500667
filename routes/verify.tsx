// GET /verify/:token: the link in the confirmation email.

import { Hono } from "hono";
import { consumeToken } from "../lib/accounts/one_time_tokens.ts";
import { updateUser } from "../lib/accounts/users.ts";
import { renderPage } from "../lib/web/render.tsx";
import type { Env } from "../lib/web/types.ts";
import { logger } from "../lib/common/log.ts";
import type { VerifyEmailData } from "../lib/accounts/emails.ts";
import { LINK_USED, LinkProblem } from "../components/LinkProblem.tsx";

const log = logger("auth");

export const verifyRoutes = new Hono<Env>();

// ---------------------------------------------------------------------------------------------
// Email verification

verifyRoutes.get("/verify/:token", async (c) => {
  const { kv } = c.get("deps");
  const resend = <a href="/account/verify">Send me a new confirmation link</a>;
  const data = await consumeToken<VerifyEmailData>(kv, "verify_email", c.req.param("token"));
  const problem = (message: string) =>
    renderPage(c, <LinkProblem title="We could not confirm your address" message={message} action={resend} />, {
      title: "Confirmation link",
      status: 410,
    });
  if (!data) return problem(`${LINK_USED} You can ask for a new one.`);
  let matched = false;
  const user = await updateUser(kv, data.userId, (u) => {
    matched = u.email === data.email;
    return matched ? { emailVerified: true } : {};
  });
  if (!user || !matched) {
    return problem("This link was for an email address your account no longer uses.");
  }
  log.info("email verified", { userId: user.id });
  return renderPage(
    c,
    <section class="card narrow">
      <h1>Email address confirmed</h1>
      <p>Thank you! {user.email} is confirmed for your Talkspace account.</p>
      <p>
        {c.get("user") ? <a href="/dashboard">Go to your dashboard</a> : <a href="/signin">Sign in</a>}
      </p>
    </section>,
    { title: "Email address confirmed" },
  );
});

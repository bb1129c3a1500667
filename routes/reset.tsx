// GET/POST /reset (ask for a link) and GET/POST /reset/:token (choose a new password).

import { Hono } from "hono";
import type { Context } from "hono";
import { z } from "zod";
import type { FieldErrors } from "../lib/common/errors.ts";
import { renderPage } from "../lib/web/render.tsx";
import type { Env } from "../lib/web/types.ts";
import { parseForm, rules } from "../lib/web/validate.ts";
import type { FormValues } from "../lib/web/validate.ts";
import { reserveAttempt } from "../lib/common/rate_limit.ts";
import { applyPasswordReset, peekPasswordReset, requestPasswordReset } from "../lib/accounts/reset.ts";
import { endCurrentSession } from "../lib/web/signin.ts";
import { Form, Notice } from "../components/Form.tsx";
import { EmailField, PasswordField } from "../components/CredentialFields.tsx";
import { LINK_USED, LinkProblem } from "../components/LinkProblem.tsx";

export const resetRoutes = new Hono<Env>();

const RESET_SENT =
  "If an account exists for that address, we have sent a link to choose a new password. It works for 30 minutes.";

// ---------------------------------------------------------------------------------------------
// Password recovery

const resetRequestSchema = z.object({ email: rules.email });
const resetPasswordSchema = z.object({ password: rules.newPassword });

function ResetRequestPage(
  { values = {}, errors = {}, sent = false }: { values?: FormValues; errors?: FieldErrors; sent?: boolean },
) {
  return (
    <section class="card narrow">
      <h1>Forgot your password?</h1>
      {sent && <Notice kind="success">{RESET_SENT}</Notice>}
      <p>Enter the email address of your account and we will send you a link to choose a new password.</p>
      <Form action="/reset">
        <EmailField value={values.email} error={errors.email} />
        <button type="submit">Send me a link</button>
      </Form>
      <p>
        <a href="/signin">Back to sign in</a>
      </p>
    </section>
  );
}

resetRoutes.get("/reset", (c) => {
  const sent = c.req.query("notice") === "sent";
  return renderPage(c, <ResetRequestPage sent={sent} />, { title: "Reset your password", cacheKey: String(sent) });
});

resetRoutes.post("/reset", async (c) => {
  const deps = c.get("deps");
  const form = await parseForm(c, resetRequestSchema);
  if (!form.ok) {
    return renderPage(c, <ResetRequestPage values={form.values} errors={form.errors} />, {
      title: "Reset your password",
      status: 422,
    });
  }
  const { email } = form.data;
  // Every request counts (not only failures): this sends email, so it must not be a spam cannon.
  await reserveAttempt(deps.kv, "reset", [`email:${email}`, `ip:${c.get("clientIp")}`]);
  // The link is queued, never mailed inline: the same answer, and about the same time, whether
  // or not the account exists.
  await requestPasswordReset(deps.kv, deps.config.publicUrl, email);
  return c.redirect("/reset?notice=sent", 303);
});

function linkExpired(c: Context<Env>): Response {
  return renderPage(
    c,
    <LinkProblem
      title="This link is no longer valid"
      message={`${LINK_USED} Reset links work once, for 30 minutes, and stop working when the password changes.`}
      action={<a href="/reset">Request a new link</a>}
    />,
    { title: "Link expired", status: 410 },
  );
}

function NewPasswordPage({ token, email, error }: { token: string; email: string; error?: string }) {
  return (
    <section class="card narrow">
      <h1>Choose a new password</h1>
      <p>For the account {email}. Every device signed in to it will be signed out.</p>
      <Form action={`/reset/${encodeURIComponent(token)}`}>
        <PasswordField kind="new" error={error} />
        <button type="submit">Set new password</button>
      </Form>
    </section>
  );
}

resetRoutes.get("/reset/:token", async (c) => {
  const token = c.req.param("token");
  const user = await peekPasswordReset(c.get("deps").kv, token);
  if (!user) return linkExpired(c);
  return renderPage(c, <NewPasswordPage token={token} email={user.email} />, { title: "Choose a new password" });
});

resetRoutes.post("/reset/:token", async (c) => {
  const { kv } = c.get("deps");
  const token = c.req.param("token");
  const pending = await peekPasswordReset(kv, token);
  if (!pending) return linkExpired(c);
  const form = await parseForm(c, resetPasswordSchema);
  if (!form.ok) {
    return renderPage(c, <NewPasswordPage token={token} email={pending.email} error={form.errors.password} />, {
      title: "Choose a new password",
      status: 422,
    });
  }
  const user = await applyPasswordReset(kv, token, form.data.password);
  if (!user) return linkExpired(c);
  await endCurrentSession(c);
  return c.redirect("/signin?notice=password-reset", 303);
});

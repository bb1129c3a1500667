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
import { LinkProblem } from "../components/LinkProblem.tsx";
import { usePage } from "../lib/web/page_context.ts";
import { requestLocale } from "../lib/web/i18n.ts";
import { translator } from "../lib/i18n/translate.ts";

export const resetRoutes = new Hono<Env>();

/** The page's translator, for titles (bodies translate themselves when they render). */
const text = (c: Context<Env>) => translator(requestLocale(c));

// ---------------------------------------------------------------------------------------------
// Password recovery

const resetRequestSchema = z.object({ email: rules.email });
const resetPasswordSchema = z.object({ password: rules.newPassword });

function ResetRequestPage(
  { values = {}, errors = {}, sent = false }: { values?: FormValues; errors?: FieldErrors; sent?: boolean },
) {
  const { t } = usePage();
  return (
    <section class="card narrow">
      <h1>{t("signin.forgot")}</h1>
      {sent && <Notice kind="success">{t("accounts.reset.sent")}</Notice>}
      <p>{t("accounts.reset.lead")}</p>
      <Form action="/reset">
        <EmailField value={values.email} error={errors.email} />
        <button type="submit">{t("accounts.reset.submit")}</button>
      </Form>
      <p>
        <a href="/signin">{t("accounts.reset.back")}</a>
      </p>
    </section>
  );
}

resetRoutes.get("/reset", (c) => {
  const sent = c.req.query("notice") === "sent";
  return renderPage(c, <ResetRequestPage sent={sent} />, {
    title: text(c)("accounts.reset.title"),
    cacheKey: String(sent),
  });
});

resetRoutes.post("/reset", async (c) => {
  const deps = c.get("deps");
  const form = await parseForm(c, resetRequestSchema);
  if (!form.ok) {
    return renderPage(c, <ResetRequestPage values={form.values} errors={form.errors} />, {
      title: text(c)("accounts.reset.title"),
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

function ResetLinkExpired() {
  const { t } = usePage();
  return (
    <LinkProblem
      title={t("accounts.reset.expiredHeading")}
      message={t("accounts.reset.expiredMessage")}
      action={<a href="/reset">{t("accounts.reset.requestNew")}</a>}
    />
  );
}

function linkExpired(c: Context<Env>): Response {
  return renderPage(c, <ResetLinkExpired />, { title: text(c)("accounts.reset.expiredTitle"), status: 410 });
}

function NewPasswordPage({ token, email, error }: { token: string; email: string; error?: string }) {
  const { t } = usePage();
  return (
    <section class="card narrow">
      <h1>{t("accounts.reset.newHeading")}</h1>
      <p>{t("accounts.reset.newLead", { email })}</p>
      <Form action={`/reset/${encodeURIComponent(token)}`}>
        <PasswordField kind="new" error={error} />
        <button type="submit">{t("accounts.reset.newSubmit")}</button>
      </Form>
    </section>
  );
}

resetRoutes.get("/reset/:token", async (c) => {
  const token = c.req.param("token");
  const user = await peekPasswordReset(c.get("deps").kv, token);
  if (!user) return linkExpired(c);
  return renderPage(c, <NewPasswordPage token={token} email={user.email} />, {
    title: text(c)("accounts.reset.newHeading"),
  });
});

resetRoutes.post("/reset/:token", async (c) => {
  const { kv } = c.get("deps");
  const token = c.req.param("token");
  const pending = await peekPasswordReset(kv, token);
  if (!pending) return linkExpired(c);
  const form = await parseForm(c, resetPasswordSchema);
  if (!form.ok) {
    return renderPage(c, <NewPasswordPage token={token} email={pending.email} error={form.errors.password} />, {
      title: text(c)("accounts.reset.newHeading"),
      status: 422,
    });
  }
  const user = await applyPasswordReset(kv, token, form.data.password);
  if (!user) return linkExpired(c);
  await endCurrentSession(c);
  return c.redirect("/signin?notice=password-reset", 303);
});

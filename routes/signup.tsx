// GET/POST /signup: creating an account, then "check your email" (the confirmation link is queued).
// An address that already has an account gets the very same answer; its owner is mailed instead, so
// the page never tells who has an account. Sign-ups are limited per client address and site-wide.

import { Hono } from "hono";
import type { Context } from "hono";
import { z } from "zod";
import { createUser, EmailTaken, getUserByEmail } from "../lib/accounts/users.ts";
import type { FieldErrors } from "../lib/common/errors.ts";
import { renderPage } from "../lib/web/render.tsx";
import type { Env } from "../lib/web/types.ts";
import { parseForm, rules } from "../lib/web/validate.ts";
import type { FormValues } from "../lib/web/validate.ts";
import { logger } from "../lib/common/log.ts";
import { queueVerificationEmail } from "../lib/accounts/emails.ts";
import { queueSignupAttemptNotice } from "../lib/accounts/reset.ts";
import { reserveAttempt } from "../lib/common/rate_limit.ts";
import type { RateLimitRule } from "../lib/common/rate_limit.ts";
import { hashPassword } from "../lib/accounts/password.ts";
import { Field, Form, Notice } from "../components/Form.tsx";
import { EmailField, PasswordField } from "../components/CredentialFields.tsx";
import { Interpolated } from "../components/Interpolated.tsx";
import { usePage } from "../lib/web/page_context.ts";
import { requestLocale } from "../lib/web/i18n.ts";
import { translator } from "../lib/i18n/translate.ts";

const log = logger("auth");

export const signupRoutes = new Hono<Env>();

/** The page's translator, for the title (the body translates itself when it renders). */
const text = (c: Context<Env>) => translator(requestLocale(c));

// ---------------------------------------------------------------------------------------------
// Sign up

const signupSchema = z.object({ name: rules.name, email: rules.email, password: rules.newPassword });

function SignupPage({ values = {}, errors = {} }: { values?: FormValues; errors?: FieldErrors }) {
  const { t } = usePage();
  return (
    <section class="card narrow">
      <h1>{t("accounts.signup.heading")}</h1>
      {Object.keys(errors).length > 0 && <Notice kind="error">{t("accounts.fixFields")}</Notice>}
      <Form action="/signup">
        <Field
          name="name"
          label={t("accounts.field.name")}
          value={values.name}
          error={errors.name}
          autocomplete="name"
          required
        />
        <EmailField value={values.email} error={errors.email} />
        <PasswordField
          kind="new"
          label={t("field.password")}
          error={errors.password}
          hint={t("accounts.signup.passwordHint")}
        />
        <button type="submit">{t("accounts.signup.submit")}</button>
      </Form>
      <p>
        {t("accounts.signup.haveAccount")} <a href="/signin">{t("site.signIn")}</a>
      </p>
    </section>
  );
}

/** Sign-ups per client address, and for the whole site: each one sends an email to an address of the sender's choosing. */
export const SIGNUP_ADDRESS_RULE: RateLimitRule = { max: 5, windowMs: 60 * 60 * 1000 };
export const SIGNUP_SITE_RULE: RateLimitRule = { max: 30, windowMs: 60 * 1000 };
const TOO_MANY_SIGNUPS = "accounts.signup.tooMany";

/** Shown after every accepted sign-up, whether or not the address already had an account. */
function CheckEmailPage() {
  const { t } = usePage();
  return (
    <section class="card narrow">
      <h1>{t("accounts.checkEmail.heading")}</h1>
      <Notice kind="success">{t("accounts.checkEmail.notice")}</Notice>
      <p>
        <Interpolated id="accounts.checkEmail.spam">
          <a href="/signup">{t("accounts.checkEmail.tryAgain")}</a>
        </Interpolated>{" "}
        {t("accounts.checkEmail.confirmed")} <a href="/signin">{t("site.signIn")}</a>
      </p>
    </section>
  );
}

signupRoutes.get("/signup", (c) => {
  if (c.get("user")) return c.redirect("/dashboard", 303);
  if (c.req.query("notice") === "check-email") {
    return renderPage(c, <CheckEmailPage />, {
      title: text(c)("accounts.checkEmail.heading"),
      cacheKey: "check-email",
    });
  }
  return renderPage(c, <SignupPage />, { title: text(c)("accounts.signup.heading"), cacheKey: "" });
});

signupRoutes.post("/signup", async (c) => {
  const { kv, config } = c.get("deps");
  const form = await parseForm(c, signupSchema);
  if (!form.ok) {
    return renderPage(c, <SignupPage values={form.values} errors={form.errors} />, {
      title: text(c)("accounts.signup.heading"),
      status: 422,
    });
  }
  const { name, email, password } = form.data;
  // Every accepted sign-up counts (it sends an email): the address first, so one address that is
  // over its limit does not use up the site's.
  await reserveAttempt(kv, "signup", [`ip:${c.get("clientIp")}`], SIGNUP_ADDRESS_RULE, TOO_MANY_SIGNUPS);
  await reserveAttempt(kv, "signup", ["site"], SIGNUP_SITE_RULE, TOO_MANY_SIGNUPS);
  // Hashed on both paths, so an address in use answers no faster than a new one.
  const passwordHash = await hashPassword(password);
  // The same answer whether or not the address has an account: its owner is told by email instead.
  const existing = await getUserByEmail(kv, email);
  if (existing) {
    await queueSignupAttemptNotice(kv, config.publicUrl, existing);
    return c.redirect("/signup?notice=check-email", 303);
  }
  let user;
  try {
    user = await createUser(kv, { name, email, passwordHash, adminEmail: config.adminEmail });
  } catch (err) {
    if (!(err instanceof EmailTaken)) throw err;
    // Created by a concurrent sign-up meanwhile: the same as an address in use.
    const owner = await getUserByEmail(kv, email);
    if (owner) await queueSignupAttemptNotice(kv, config.publicUrl, owner);
    return c.redirect("/signup?notice=check-email", 303);
  }
  log.info("account created", { userId: user.id, role: user.role });
  await queueVerificationEmail(kv, config.publicUrl, user);
  return c.redirect("/signup?notice=check-email", 303);
});

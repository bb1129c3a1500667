// GET/POST /signin (the password step) and GET/POST /signin/totp (the second-factor step, which turns a
// half-signed-in session into a full one).

import { Hono } from "hono";
import { usePage } from "../lib/web/page_context.ts";
import type { Context } from "hono";
import { z } from "zod";
import { getUserByEmail } from "../lib/accounts/users.ts";
import type { FieldErrors } from "../lib/common/errors.ts";
import { renderPage } from "../lib/web/render.tsx";
import type { Env } from "../lib/web/types.ts";
import { parseForm, rules } from "../lib/web/validate.ts";
import type { FormValues } from "../lib/web/validate.ts";
import { logger } from "../lib/common/log.ts";
import { dummyVerify, verifyPassword } from "../lib/accounts/password.ts";
import { ADDRESS_RULE, reserveAttempt } from "../lib/common/rate_limit.ts";
import { afterPassword, completeSignIn, safeNext } from "../lib/web/signin.ts";
import { Field, Form, Notice } from "../components/Form.tsx";
import { EmailField, PasswordField } from "../components/CredentialFields.tsx";
import { TOTP_LIMIT_SCOPE, totpLimitSubjects, WRONG_CODE } from "../lib/web/second_factor.ts";
import { verifySecondFactor } from "../lib/accounts/totp.ts";
import { deleteSession } from "../lib/accounts/sessions.ts";
import type { User } from "../lib/accounts/users.ts";
import { getUser } from "../lib/accounts/users.ts";
import type { MessageKey } from "../lib/i18n/client.ts";
import { requestLocale } from "../lib/web/i18n.ts";
import { translator } from "../lib/i18n/translate.ts";

const log = logger("totp");

export const signinRoutes = new Hono<Env>();

/** The page's translator, for titles (bodies translate themselves when they render). */
const text = (c: Context<Env>) => translator(requestLocale(c));

/** Fixed texts for ?notice= keys; anything else in the query is ignored, never shown. */
const SIGNIN_NOTICES: Record<string, MessageKey> = {
  "password-reset": "accounts.signin.passwordReset",
  "signed-out-everywhere": "accounts.signin.signedOutEverywhere",
};

// ---------------------------------------------------------------------------------------------
// Sign in and out

const signinSchema = z.object({ email: rules.email, password: rules.password, next: z.string().optional() });

interface SigninProps {
  values?: FormValues;
  errors?: FieldErrors;
  problem?: MessageKey;
  notice?: MessageKey;
  next?: string | null;
}

function SigninPage({ values = {}, errors = {}, problem, notice, next }: SigninProps) {
  const { t } = usePage();
  return (
    <section class="card narrow">
      <h1>{t("site.signIn")}</h1>
      {notice && <Notice kind="success">{t(notice)}</Notice>}
      {problem && <Notice kind="error">{t(problem)}</Notice>}
      <Form action="/signin">
        {next && <input type="hidden" name="next" value={next} />}
        <EmailField value={values.email} error={errors.email} autocomplete="username" />
        <PasswordField kind="current" error={errors.password} />
        <button type="submit">{t("site.signIn")}</button>
      </Form>
      <p>
        <a href="/reset">{t("signin.forgot")}</a> · <a href="/signup">{t("home.createAccount")}</a>
      </p>
    </section>
  );
}

signinRoutes.get("/signin", (c) => {
  const next = safeNext(c.req.query("next"));
  if (c.get("user")) return c.redirect(next ?? "/dashboard", 303);
  const noticeKey = c.req.query("notice") ?? "";
  // Own keys only: "?notice=constructor" is no notice (and no cache entry of its own).
  const notice = Object.hasOwn(SIGNIN_NOTICES, noticeKey) ? SIGNIN_NOTICES[noticeKey] : undefined;
  // `next` is the visitor's own text: such pages are rendered each time, never cached.
  const cacheKey = next ? undefined : notice ? noticeKey : "";
  return renderPage(c, <SigninPage notice={notice} next={next} />, { title: text(c)("site.signIn"), cacheKey });
});

signinRoutes.post("/signin", async (c) => {
  const { kv } = c.get("deps");
  const form = await parseForm(c, signinSchema);
  const next = safeNext(form.values.next);
  const show = (status: 403 | 422, props: SigninProps) =>
    renderPage(c, <SigninPage values={form.values} next={next} {...props} />, {
      title: text(c)("site.signIn"),
      status,
    });
  if (!form.ok) return show(422, { errors: form.errors });
  const { email, password } = form.data;
  const accountSubject = `email:${email}`;
  // Counted before the password is looked at, so parallel guesses cannot overtake the limit; a
  // wrong password keeps the reservation as its recorded failure.
  const attempt = await reserveAttempt(kv, "signin", [accountSubject, {
    subject: `ip:${c.get("clientIp")}`,
    rule: ADDRESS_RULE,
  }]);
  const user = await getUserByEmail(kv, email);
  const ok = user ? await verifyPassword(user.passwordHash, password) : await dummyVerify(password);
  if (!user || !ok) return show(422, { problem: "accounts.signin.incorrect" });
  // The right password: this attempt is given back to the address, and the account's earlier
  // failures are cleared (as before reservations), so a person's own typos do not linger.
  await attempt.release([accountSubject]);
  if (user.disabled) {
    return show(403, { problem: "accounts.signin.disabled" });
  }
  return await afterPassword(c, user, next);
});

function SignInCodePage({ next, error }: { next?: string; error?: string }) {
  const { t } = usePage();
  const action = next ? `/signin/totp?next=${encodeURIComponent(next)}` : "/signin/totp";
  return (
    <section class="card narrow">
      <h1>{t("accounts.signinCode.heading")}</h1>
      <p>{t("accounts.signinCode.lead")}</p>
      <Form action={action}>
        <Field
          name="code"
          label={t("accounts.signinCode.label")}
          inputmode="numeric"
          autocomplete="one-time-code"
          required
          autofocus
          error={error}
          hint={t("accounts.signinCode.hint")}
        />
        <button type="submit">{t("site.signIn")}</button>
      </Form>
      <p>
        <a href="/signin">{t("accounts.signinCode.cancel")}</a>
      </p>
    </section>
  );
}

/** The person behind a half-signed-in session, or null (then the caller sends them to /signin). */
async function pendingSignIn(c: Context<Env>): Promise<User | null> {
  const session = c.get("session");
  if (!session || session.session.stage !== "totp") return null;
  const user = await getUser(c.get("deps").kv, session.session.userId);
  if (!user?.totpSecret) {
    // Two-factor was turned off meanwhile: this half session can never finish.
    await deleteSession(c.get("deps").kv, session.tokenHash);
    return null;
  }
  return user;
}

signinRoutes.get("/signin/totp", async (c) => {
  const next = c.req.query("next");
  if (c.get("user")) return c.redirect(safeNext(next) ?? "/dashboard", 303);
  if (!(await pendingSignIn(c))) return c.redirect("/signin", 303);
  return renderPage(c, <SignInCodePage next={next} />, { title: text(c)("accounts.signinCode.title") });
});

signinRoutes.post("/signin/totp", async (c) => {
  const { kv } = c.get("deps");
  const next = c.req.query("next");
  if (c.get("user")) return c.redirect(safeNext(next) ?? "/dashboard", 303);
  const user = await pendingSignIn(c);
  if (!user) return c.redirect("/signin", 303);
  const subjects = totpLimitSubjects(c, user.id);
  const parsed = await parseForm(c, z.object({ code: rules.totpCode }));
  if (!parsed.ok) {
    return renderPage(c, <SignInCodePage next={next} error={parsed.errors.code} />, {
      title: text(c)("accounts.signinCode.title"),
      status: 422,
    });
  }
  // Reserved before the code (or recovery code) is checked; a wrong one keeps it as its failure.
  const attempt = await reserveAttempt(kv, TOTP_LIMIT_SCOPE, subjects);
  const factor = await verifySecondFactor(kv, user, parsed.data.code);
  if (!factor) {
    log.info("wrong second factor", { userId: user.id });
    return renderPage(c, <SignInCodePage next={next} error={WRONG_CODE} />, {
      title: text(c)("accounts.signinCode.title"),
      status: 422,
    });
  }
  await attempt.release([subjects[0]]);
  log.info("signed in with second factor", { userId: user.id, factor });
  // After a recovery code the two-factor page says how many are left and offers new ones.
  // completeSignIn deletes the half-signed-in session and sets a new full session cookie.
  return await completeSignIn(c, user, factor === "recovery" ? "/account/totp?notice=recovery-used" : next);
});

// Signing up, confirming an email address, signing in and out, and recovering a forgotten password.

import { Hono } from "hono";
import type { Context } from "hono";
import type { ComponentChildren } from "preact";
import { z } from "zod";
import { consumeToken } from "../lib/accounts/one_time_tokens.ts";
import { createUser, EmailTaken, getUserByEmail, updateUser } from "../lib/accounts/users.ts";
import type { FieldErrors } from "../lib/common/errors.ts";
import { renderPage } from "../lib/web/render.tsx";
import type { Env } from "../lib/web/types.ts";
import { parseForm, rules } from "../lib/web/validate.ts";
import type { FormValues } from "../lib/web/validate.ts";
import { logger } from "../lib/common/log.ts";
import { sendVerificationEmail } from "../lib/accounts/emails.ts";
import type { VerifyEmailData } from "../lib/accounts/emails.ts";
import { dummyVerify, hashPassword, verifyPassword } from "../lib/accounts/password.ts";
import { assertNotLimited, clearFailures, recordFailure } from "../lib/common/rate_limit.ts";
import { applyPasswordReset, peekPasswordReset, sendPasswordReset } from "../lib/accounts/reset.ts";
import { afterPassword, completeSignIn, endCurrentSession, safeNext } from "../lib/web/signin.ts";
import { Field, Form, Notice } from "../components/Form.tsx";

const log = logger("auth");

export const authRoutes = new Hono<Env>();

/** Fixed texts for ?notice= keys; anything else in the query is ignored, never shown. */
const SIGNIN_NOTICES: Record<string, string> = {
  "password-reset": "Your password has been changed. Sign in with your new password.",
  "signed-out-everywhere": "You have been signed out on every device. Sign in again to continue.",
};

const RESET_SENT =
  "If an account exists for that address, we have sent a link to choose a new password. It works for 30 minutes.";

const LINK_USED = "This link has expired or was already used.";

// ---------------------------------------------------------------------------------------------
// Sign up

const signupSchema = z.object({ name: rules.name, email: rules.email, password: rules.newPassword });

function SignupPage({ values = {}, errors = {} }: { values?: FormValues; errors?: FieldErrors }) {
  return (
    <section class="card narrow">
      <h1>Create your account</h1>
      {Object.keys(errors).length > 0 && <Notice kind="error">Please correct the fields marked below.</Notice>}
      <Form action="/signup">
        <Field name="name" label="Your name" value={values.name} error={errors.name} autocomplete="name" required />
        <Field
          name="email"
          label="Email address"
          type="email"
          value={values.email}
          error={errors.email}
          autocomplete="email"
          required
        />
        <Field
          name="password"
          label="Password"
          type="password"
          error={errors.password}
          autocomplete="new-password"
          hint="At least 10 characters. A few unrelated words make a good password."
          required
        />
        <button type="submit">Create account</button>
      </Form>
      <p>
        Already have an account? <a href="/signin">Sign in</a>
      </p>
    </section>
  );
}

authRoutes.get("/signup", (c) => {
  if (c.get("user")) return c.redirect("/dashboard", 303);
  return renderPage(c, <SignupPage />, { title: "Create your account", cacheKey: "" });
});

authRoutes.post("/signup", async (c) => {
  const deps = c.get("deps");
  const form = await parseForm(c, signupSchema);
  const show = (errors: FieldErrors) =>
    renderPage(c, <SignupPage values={form.values} errors={errors} />, { title: "Create your account", status: 422 });
  if (!form.ok) return show(form.errors);
  const { name, email, password } = form.data;
  const taken = { email: "An account with this email already exists. Sign in, or reset your password." };
  if (await getUserByEmail(deps.kv, email)) return show(taken);
  let user;
  try {
    user = await createUser(deps.kv, {
      name,
      email,
      passwordHash: await hashPassword(password),
      adminEmail: deps.config.adminEmail,
    });
  } catch (err) {
    if (err instanceof EmailTaken) return show(taken);
    throw err;
  }
  log.info("account created", { userId: user.id, role: user.role });
  try {
    await sendVerificationEmail(deps, user);
  } catch (err) {
    // The account exists either way; the person can ask for the link again from the dashboard.
    log.error("verification email failed", { userId: user.id, error: String(err) });
  }
  return await completeSignIn(c, user);
});

// ---------------------------------------------------------------------------------------------
// Email verification

function LinkProblem({ title, message, action }: { title: string; message: string; action: ComponentChildren }) {
  return (
    <section class="card narrow">
      <h1>{title}</h1>
      <p>{message}</p>
      <p>{action}</p>
    </section>
  );
}

authRoutes.get("/verify/:token", async (c) => {
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

// ---------------------------------------------------------------------------------------------
// Sign in and out

const signinSchema = z.object({ email: rules.email, password: rules.password, next: z.string().optional() });

interface SigninProps {
  values?: FormValues;
  errors?: FieldErrors;
  problem?: string;
  notice?: string;
  next?: string | null;
}

function SigninPage({ values = {}, errors = {}, problem, notice, next }: SigninProps) {
  return (
    <section class="card narrow">
      <h1>Sign in</h1>
      {notice && <Notice kind="success">{notice}</Notice>}
      {problem && <Notice kind="error">{problem}</Notice>}
      <Form action="/signin">
        {next && <input type="hidden" name="next" value={next} />}
        <Field
          name="email"
          label="Email address"
          type="email"
          value={values.email}
          error={errors.email}
          autocomplete="username"
          required
        />
        <Field
          name="password"
          label="Password"
          type="password"
          error={errors.password}
          autocomplete="current-password"
          required
        />
        <button type="submit">Sign in</button>
      </Form>
      <p>
        <a href="/reset">Forgot your password?</a> · <a href="/signup">Create an account</a>
      </p>
    </section>
  );
}

authRoutes.get("/signin", (c) => {
  const next = safeNext(c.req.query("next"));
  if (c.get("user")) return c.redirect(next ?? "/dashboard", 303);
  const noticeKey = c.req.query("notice") ?? "";
  const notice = SIGNIN_NOTICES[noticeKey];
  // `next` is the visitor's own text: such pages are rendered each time, never cached.
  const cacheKey = next ? undefined : notice ? noticeKey : "";
  return renderPage(c, <SigninPage notice={notice} next={next} />, { title: "Sign in", cacheKey });
});

authRoutes.post("/signin", async (c) => {
  const { kv } = c.get("deps");
  const form = await parseForm(c, signinSchema);
  const next = safeNext(form.values.next);
  const show = (status: 403 | 422, props: SigninProps) =>
    renderPage(c, <SigninPage values={form.values} next={next} {...props} />, { title: "Sign in", status });
  if (!form.ok) return show(422, { errors: form.errors });
  const { email, password } = form.data;
  const subjects = [`email:${email}`, `ip:${c.get("clientIp")}`];
  await assertNotLimited(kv, "signin", subjects);
  const user = await getUserByEmail(kv, email);
  const ok = user ? await verifyPassword(user.passwordHash, password) : await dummyVerify(password);
  if (!user || !ok) {
    await recordFailure(kv, "signin", subjects);
    return show(422, { problem: "The email or password is incorrect." });
  }
  if (user.disabled) {
    return show(403, { problem: "This account has been disabled by an administrator." });
  }
  await clearFailures(kv, "signin", `email:${email}`);
  return await afterPassword(c, user, next);
});

authRoutes.post("/signout", async (c) => {
  await endCurrentSession(c);
  return c.redirect("/", 303);
});

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
        <Field
          name="email"
          label="Email address"
          type="email"
          value={values.email}
          error={errors.email}
          autocomplete="email"
          required
        />
        <button type="submit">Send me a link</button>
      </Form>
      <p>
        <a href="/signin">Back to sign in</a>
      </p>
    </section>
  );
}

authRoutes.get("/reset", (c) => {
  const sent = c.req.query("notice") === "sent";
  return renderPage(c, <ResetRequestPage sent={sent} />, { title: "Reset your password", cacheKey: String(sent) });
});

authRoutes.post("/reset", async (c) => {
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
  const subjects = [`email:${email}`, `ip:${c.get("clientIp")}`];
  await assertNotLimited(deps.kv, "reset", subjects);
  await recordFailure(deps.kv, "reset", subjects);
  const user = await getUserByEmail(deps.kv, email);
  if (user) {
    try {
      await sendPasswordReset(deps, user);
    } catch (err) {
      // Same answer whatever happened, so the page never tells whether the account exists.
      log.error("reset email failed", { userId: user.id, error: String(err) });
    }
  }
  return c.redirect("/reset?notice=sent", 303);
});

function linkExpired(c: Context<Env>): Response {
  return renderPage(
    c,
    <LinkProblem
      title="This link no longer works"
      message={`${LINK_USED} Reset links work once, for 30 minutes.`}
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
        <Field
          name="password"
          label="New password"
          type="password"
          error={error}
          autocomplete="new-password"
          hint="At least 10 characters."
          required
        />
        <button type="submit">Set new password</button>
      </Form>
    </section>
  );
}

authRoutes.get("/reset/:token", async (c) => {
  const token = c.req.param("token");
  const user = await peekPasswordReset(c.get("deps").kv, token);
  if (!user) return linkExpired(c);
  return renderPage(c, <NewPasswordPage token={token} email={user.email} />, { title: "Choose a new password" });
});

authRoutes.post("/reset/:token", async (c) => {
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

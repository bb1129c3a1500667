// GET/POST /signup: creating an account, then "check your email" (the confirmation link is queued).
// An address that already has an account gets the very same answer; its owner is mailed instead, so
// the page never tells who has an account. Sign-ups are limited per client address and site-wide.

import { Hono } from "hono";
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

const log = logger("auth");

export const signupRoutes = new Hono<Env>();

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
        <EmailField value={values.email} error={errors.email} />
        <PasswordField
          kind="new"
          label="Password"
          error={errors.password}
          hint="At least 10 characters. A few unrelated words make a good password."
        />
        <button type="submit">Create account</button>
      </Form>
      <p>
        Already have an account? <a href="/signin">Sign in</a>
      </p>
    </section>
  );
}

/** Shown after every accepted sign-up, whether or not the address already had an account. */
const CHECK_EMAIL = "Check your email to confirm your address: we sent a message to the address you entered. " +
  "Open the link in it, then sign in with your email address and password.";

/** Sign-ups per client address, and for the whole site: each one sends an email to an address of the sender's choosing. */
export const SIGNUP_ADDRESS_RULE: RateLimitRule = { max: 5, windowMs: 60 * 60 * 1000 };
export const SIGNUP_SITE_RULE: RateLimitRule = { max: 30, windowMs: 60 * 1000 };
const TOO_MANY_SIGNUPS = "Too many accounts were created from here recently. Please try again later.";

function CheckEmailPage() {
  return (
    <section class="card narrow">
      <h1>Check your email</h1>
      <Notice kind="success">{CHECK_EMAIL}</Notice>
      <p>
        No email after a few minutes? Look in your spam folder, or <a href="/signup">try again</a>. Already confirmed?
        {" "}
        <a href="/signin">Sign in</a>
      </p>
    </section>
  );
}

signupRoutes.get("/signup", (c) => {
  if (c.get("user")) return c.redirect("/dashboard", 303);
  if (c.req.query("notice") === "check-email") {
    return renderPage(c, <CheckEmailPage />, { title: "Check your email", cacheKey: "check-email" });
  }
  return renderPage(c, <SignupPage />, { title: "Create your account", cacheKey: "" });
});

signupRoutes.post("/signup", async (c) => {
  const { kv, config } = c.get("deps");
  const form = await parseForm(c, signupSchema);
  if (!form.ok) {
    return renderPage(c, <SignupPage values={form.values} errors={form.errors} />, {
      title: "Create your account",
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

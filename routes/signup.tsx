// GET/POST /signup: creating an account (then the confirmation email and a signed-in session).

import { Hono } from "hono";
import { z } from "zod";
import { createUser, EmailTaken, getUserByEmail } from "../lib/accounts/users.ts";
import type { FieldErrors } from "../lib/common/errors.ts";
import { renderPage } from "../lib/web/render.tsx";
import type { Env } from "../lib/web/types.ts";
import { parseForm, rules } from "../lib/web/validate.ts";
import type { FormValues } from "../lib/web/validate.ts";
import { logger } from "../lib/common/log.ts";
import { sendVerificationEmail } from "../lib/accounts/emails.ts";
import { hashPassword } from "../lib/accounts/password.ts";
import { completeSignIn } from "../lib/web/signin.ts";
import { Field, Form, Notice } from "../components/Form.tsx";

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

signupRoutes.get("/signup", (c) => {
  if (c.get("user")) return c.redirect("/dashboard", 303);
  return renderPage(c, <SignupPage />, { title: "Create your account", cacheKey: "" });
});

signupRoutes.post("/signup", async (c) => {
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

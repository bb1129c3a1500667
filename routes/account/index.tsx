// Account settings: profile, email address (confirmed by link), password, signing out everywhere,
// links to two-factor and API tokens, and deleting the account.

import type { Store } from "../../lib/common/store.ts";
import { Hono } from "hono";
import type { Context } from "hono";
import type { ComponentChildren } from "preact";
import { z } from "zod";
import { consumeToken, issueToken } from "../../lib/accounts/one_time_tokens.ts";
import { deleteUserSessions } from "../../lib/accounts/sessions.ts";
import { deleteUser, EmailTaken, findOtherActiveAdmin, getUserByEmail, updateUser } from "../../lib/accounts/users.ts";
import type { User } from "../../lib/accounts/users.ts";
import { clearCookie, SESSION_COOKIE } from "../../lib/web/cookies.ts";
import type { FieldErrors } from "../../lib/common/errors.ts";
import { requireBrowserSession, requireUser } from "../../lib/web/middleware.ts";
import { renderPage } from "../../lib/web/render.tsx";
import type { Env } from "../../lib/web/types.ts";
import { parseForm, rules } from "../../lib/web/validate.ts";
import type { FormValues } from "../../lib/web/validate.ts";
import { logger } from "../../lib/common/log.ts";
import type { Mailer, MailMessage } from "../../lib/email/mailer.ts";
import {
  CHANGE_EMAIL_TTL_MS,
  confirmEmailChangeMessage,
  emailChangeNoticeMessage,
  passwordChangedMessage,
  sendVerificationEmail,
} from "../../lib/accounts/emails.ts";
import { hashPassword, verifyPassword } from "../../lib/accounts/password.ts";
import { reserveAttempt } from "../../lib/common/rate_limit.ts";
import { CsrfField, Field, Form, Notice } from "../../components/Form.tsx";

const log = logger("account");

export const accountRoutes = new Hono<Env>();

/** Fixed texts for ?notice= keys; unknown keys show nothing. */
const NOTICES: Record<string, string> = {
  "profile-saved": "Your profile has been saved.",
  "email-change-sent":
    "We sent a confirmation link to your new address. Your email address changes when you open that link.",
  "email-changed": "Your email address has been changed.",
  "password-changed": "Your password has been changed. Every other device has been signed out.",
  "verify-sent": "We sent you a new confirmation link. It works for 24 hours.",
  "already-verified": "Your email address is already confirmed.",
};

/** What an email-change link carries: the account, the address it had when asked, and the new one. */
interface ChangeEmailData {
  userId: string;
  oldEmail: string;
  newEmail: string;
}

const TIME_ZONES: string[] = (() => {
  const zones = Intl.supportedValuesOf("timeZone");
  return zones.includes("UTC") ? zones : ["UTC", ...zones];
})();

accountRoutes.use("/account", requireUser(), requireBrowserSession());
accountRoutes.use("/account/profile", requireUser(), requireBrowserSession());
accountRoutes.use("/account/email", requireUser(), requireBrowserSession());
accountRoutes.use("/account/password", requireUser(), requireBrowserSession());
accountRoutes.use("/account/verify", requireUser(), requireBrowserSession());
accountRoutes.use("/account/signout-everywhere", requireUser(), requireBrowserSession());
accountRoutes.use("/account/delete", requireUser(), requireBrowserSession());

/** Checks the person's current password, counting wrong answers (10 per 15 minutes, then 429). */
async function passwordMatches(kv: Store, user: User, password: string): Promise<boolean> {
  const subject = `user:${user.id}`;
  // Reserved before the password is checked, so parallel guesses cannot overtake the limit.
  const attempt = await reserveAttempt(kv, "reauth", [subject]);
  if (!(await verifyPassword(user.passwordHash, password))) return false;
  await attempt.release([subject]);
  return true;
}

// ---------------------------------------------------------------------------------------------
// The settings page

type Section = "profile" | "email" | "password" | "delete";

interface SectionState {
  section: Section;
  /** What was sent, to fill the section in again (password inputs never are). */
  values: FormValues;
  errors: FieldErrors;
  problem?: string;
}

function Problem({ state, section }: { state?: SectionState; section: Section }) {
  if (!state || state.section !== section) return null;
  return <Notice kind="error">{state.problem ?? "Please correct the fields marked below."}</Notice>;
}

function AccountPage({ user, notice, state }: { user: User; notice?: string; state?: SectionState }) {
  const errorsFor = (s: Section): FieldErrors => state?.section === s ? state.errors : {};
  const valuesFor = (s: Section): FormValues => state?.section === s ? state.values : {};
  const profile = { name: user.name, timeZone: user.timeZone, ...valuesFor("profile") };
  const zones = TIME_ZONES.includes(user.timeZone) ? TIME_ZONES : [user.timeZone, ...TIME_ZONES];
  return (
    <div class="stack">
      <h1>Account settings</h1>
      {notice && <Notice kind="success">{notice}</Notice>}

      <section class="card" aria-labelledby="profile-heading">
        <h2 id="profile-heading">Profile</h2>
        <Problem state={state} section="profile" />
        <Form action="/account/profile">
          <Field
            name="name"
            label="Your name"
            value={profile.name}
            error={errorsFor("profile").name}
            autocomplete="name"
            required
          />
          <div class={errorsFor("profile").timeZone ? "field has-error" : "field"}>
            <label for="f-timeZone">Time zone</label>
            <select
              id="f-timeZone"
              name="timeZone"
              aria-invalid={errorsFor("profile").timeZone ? "true" : undefined}
              aria-describedby={errorsFor("profile").timeZone ? "f-timeZone-error" : "f-timeZone-hint"}
            >
              {zones.map((tz) => <option key={tz} value={tz} selected={tz === profile.timeZone}>{tz}</option>)}
            </select>
            {errorsFor("profile").timeZone
              ? <small class="error" id="f-timeZone-error">{errorsFor("profile").timeZone}</small>
              : <small class="hint" id="f-timeZone-hint">Meeting times are shown in this time zone.</small>}
          </div>
          <button type="submit">Save profile</button>
        </Form>
      </section>

      <section class="card" aria-labelledby="email-heading">
        <h2 id="email-heading">Email address</h2>
        <p>
          Your account uses <strong>{user.email}</strong>
          {user.emailVerified ? " (confirmed)." : " (not confirmed yet)."}
        </p>
        {!user.emailVerified && (
          <form method="post" action="/account/verify" class="inline">
            <CsrfField />
            <button type="submit" class="link">Send the confirmation link again</button>
          </form>
        )}
        <Problem state={state} section="email" />
        <Form action="/account/email">
          <Field
            name="email"
            label="New email address"
            type="email"
            value={valuesFor("email").email}
            error={errorsFor("email").email}
            autocomplete="email"
            hint="We will send a link to the new address; the change happens when you open it."
            required
          />
          <Field
            type="password"
            required
            id="f-email-password"
            name="password"
            label="Your current password"
            error={errorsFor("email").password}
            autocomplete="current-password"
          />
          <button type="submit">Change email address</button>
        </Form>
      </section>

      <section class="card" aria-labelledby="password-heading">
        <h2 id="password-heading">Password</h2>
        <Problem state={state} section="password" />
        <Form action="/account/password">
          <Field
            type="password"
            required
            id="f-current"
            name="current"
            label="Current password"
            error={errorsFor("password").current}
            autocomplete="current-password"
          />
          <Field
            type="password"
            required
            id="f-new-password"
            name="password"
            label="New password (at least 10 characters)"
            error={errorsFor("password").password}
            autocomplete="new-password"
          />
          <button type="submit">Change password</button>
        </Form>
        <p>Changing your password signs you out on every other device.</p>
      </section>

      <section class="card" aria-labelledby="calendar-heading">
        <h2 id="calendar-heading">Calendar and reminders</h2>
        <p>
          <a href="/account/calendar">Your calendar feed</a>{" "}
          puts every meeting you host or are invited to into your calendar app.
        </p>
        <p>
          <a href="/account/notifications">Reminders</a>: when and where Talkspace reminds you before a meeting starts.
        </p>
      </section>

      <section class="card" aria-labelledby="security-heading">
        <h2 id="security-heading">Sign-in security</h2>
        <p>
          Two-factor sign-in is <strong>{user.totpSecret ? "on" : "off"}</strong>.{" "}
          <a href="/account/totp">{user.totpSecret ? "Manage two-factor sign-in" : "Set up two-factor sign-in"}</a>
        </p>
        <p>
          <a href="/account/tokens">API tokens</a> let programs use Talkspace on your behalf.
        </p>
        <form method="post" action="/account/signout-everywhere" class="stack">
          <CsrfField />
          <p>Lost a device, or signed in on a shared computer? End every session, including this one.</p>
          <button type="submit">Sign out everywhere</button>
        </form>
      </section>

      <section class="card danger-zone" aria-labelledby="delete-heading">
        <h2 id="delete-heading">Delete account</h2>
        <p>
          This deletes your account, its sessions and API tokens for good. It cannot be undone.
        </p>
        <Problem state={state} section="delete" />
        <Form action="/account/delete">
          <Field
            type="password"
            required
            id="f-delete-password"
            name="password"
            label="Your password, to confirm"
            error={errorsFor("delete").password}
            autocomplete="current-password"
          />
          <button type="submit" class="danger">Delete my account</button>
        </Form>
      </section>
    </div>
  );
}

function showAccount(c: Context<Env>, user: User, state: SectionState, status = 422): Response {
  return renderPage(c, <AccountPage user={user} state={state} />, { title: "Account settings", status });
}

/** Answers the settings page again with a section's errors (and a message above them). */
type SectionFailure = (errors: FieldErrors, problem?: string, status?: number) => Response;

/**
 * Reads a section's form that the person confirms with their current password (in `passwordField`,
 * counted by passwordMatches). When the form or the password is wrong, answers the page again with
 * the section's errors; otherwise the form's data and `fail` for the handler's own checks.
 */
async function readConfirmedForm<S extends z.ZodType<Record<string, string>>>(
  c: Context<Env>,
  section: Section,
  schema: S,
  passwordField: keyof z.infer<S> & string,
): Promise<Response | { data: z.infer<S>; fail: SectionFailure }> {
  const user = c.get("user")!;
  const form = await parseForm(c, schema);
  const fail: SectionFailure = (errors, problem, status = 422) =>
    showAccount(c, user, { section, values: form.values, errors, problem }, status);
  if (!form.ok) return fail(form.errors);
  if (!(await passwordMatches(c.get("deps").kv, user, form.data[passwordField]))) {
    return fail({ [passwordField]: "That is not your current password" });
  }
  return { data: form.data, fail };
}

/** Tells the person about a change already made: a failed send is logged and does not undo it. */
async function sendChangeNotice(mailer: Mailer, userId: string, change: string, message: MailMessage) {
  try {
    await mailer.send(message);
  } catch (err) {
    log.error(`${change} notice failed`, { userId, error: String(err) });
  }
}

accountRoutes.get("/account", (c) => {
  const notice = NOTICES[c.req.query("notice") ?? ""];
  return renderPage(c, <AccountPage user={c.get("user")!} notice={notice} />, { title: "Account settings" });
});

// ---------------------------------------------------------------------------------------------
// Profile

const profileSchema = z.object({ name: rules.name, timeZone: rules.timeZone });

accountRoutes.post("/account/profile", async (c) => {
  const user = c.get("user")!;
  const form = await parseForm(c, profileSchema);
  if (!form.ok) return showAccount(c, user, { section: "profile", values: form.values, errors: form.errors });
  const { name, timeZone } = form.data;
  await updateUser(c.get("deps").kv, user.id, () => ({ name, timeZone }));
  return c.redirect("/account?notice=profile-saved", 303);
});

// ---------------------------------------------------------------------------------------------
// Email address

const emailSchema = z.object({ email: rules.email, password: rules.password });

accountRoutes.post("/account/email", async (c) => {
  const deps = c.get("deps");
  const user = c.get("user")!;
  const form = await readConfirmedForm(c, "email", emailSchema, "password");
  if (form instanceof Response) return form;
  const { data: { email }, fail } = form;
  if (email === user.email) return fail({ email: "That is already your email address" });
  if (await getUserByEmail(deps.kv, email)) return fail({ email: "Another account already uses this email address" });
  // Each request mails a stranger's address, so it is counted like the verification resend.
  await reserveAttempt(deps.kv, "email_change", [`user:${user.id}`]);
  const data: ChangeEmailData = { userId: user.id, oldEmail: user.email, newEmail: email };
  const token = await issueToken(deps.kv, "change_email", data, CHANGE_EMAIL_TTL_MS);
  await deps.mailer.send(
    confirmEmailChangeMessage(user.name, email, `${deps.config.publicUrl}/account/email/confirm/${token}`),
  );
  await sendChangeNotice(deps.mailer, user.id, "email change", emailChangeNoticeMessage(user, email));
  log.info("email change requested", { userId: user.id });
  return c.redirect("/account?notice=email-change-sent", 303);
});

function LinkProblem({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <section class="card narrow">
      <h1>{title}</h1>
      {children}
    </section>
  );
}

accountRoutes.get("/account/email/confirm/:token", async (c) => {
  const { kv } = c.get("deps");
  const data = await consumeToken<ChangeEmailData>(kv, "change_email", c.req.param("token"));
  const problem = (status: 409 | 410, message: string) =>
    renderPage(
      c,
      <LinkProblem title="We could not change your email address">
        <p>{message}</p>
        <p>
          <a href="/account">Go to your account settings</a> to ask for a new link.
        </p>
      </LinkProblem>,
      { title: "Email change", status },
    );
  if (!data) return problem(410, "This link has expired or was already used.");
  let stale = false;
  let user: User | null;
  try {
    user = await updateUser(kv, data.userId, (u) => {
      stale = u.email !== data.oldEmail;
      return stale ? {} : { email: data.newEmail, emailVerified: true };
    });
  } catch (err) {
    if (!(err instanceof EmailTaken)) throw err;
    return problem(409, `Another account started using ${data.newEmail} in the meantime, so it cannot be yours too.`);
  }
  if (!user || stale) return problem(410, "This link belongs to an older change of address.");
  log.info("email changed", { userId: user.id });
  return renderPage(
    c,
    <LinkProblem title="Email address changed">
      <p>Your account now uses {user.email}. Use it the next time you sign in.</p>
      <p>
        {c.get("user") ? <a href="/account">Back to your account settings</a> : <a href="/signin">Sign in</a>}
      </p>
    </LinkProblem>,
    { title: "Email address changed" },
  );
});

// ---------------------------------------------------------------------------------------------
// Email verification (resend)

accountRoutes.get("/account/verify", (c) => {
  const user = c.get("user")!;
  if (user.emailVerified) return c.redirect("/account?notice=already-verified", 303);
  return renderPage(
    c,
    <section class="card narrow">
      <h1>Confirm your email address</h1>
      <p>
        We will send a confirmation link to <strong>{user.email}</strong>. It works for 24 hours.
      </p>
      <Form action="/account/verify">
        <button type="submit">Send the link</button>
      </Form>
      <p>
        Wrong address? <a href="/account">Change it in your account settings</a>.
      </p>
    </section>,
    { title: "Confirm your email address" },
  );
});

accountRoutes.post("/account/verify", async (c) => {
  const deps = c.get("deps");
  const user = c.get("user")!;
  if (user.emailVerified) return c.redirect("/account?notice=already-verified", 303);
  // Every resend counts, like failures do elsewhere: 10 per 15 minutes per account.
  const subjects = [`user:${user.id}`];
  await reserveAttempt(deps.kv, "verify_resend", subjects);
  await sendVerificationEmail(deps, user);
  return c.redirect("/account?notice=verify-sent", 303);
});

// ---------------------------------------------------------------------------------------------
// Password and sessions

const passwordSchema = z.object({ current: rules.password, password: rules.newPassword });

accountRoutes.post("/account/password", async (c) => {
  const deps = c.get("deps");
  const user = c.get("user")!;
  const form = await readConfirmedForm(c, "password", passwordSchema, "current");
  if (form instanceof Response) return form;
  const passwordHash = await hashPassword(form.data.password);
  await updateUser(deps.kv, user.id, () => ({ passwordHash }));
  const ended = await deleteUserSessions(deps.kv, user.id, c.get("session")?.tokenHash);
  log.info("password changed", { userId: user.id, sessionsEnded: ended });
  await sendChangeNotice(deps.mailer, user.id, "password change", passwordChangedMessage(user));
  return c.redirect("/account?notice=password-changed", 303);
});

accountRoutes.post("/account/signout-everywhere", async (c) => {
  const user = c.get("user")!;
  const ended = await deleteUserSessions(c.get("deps").kv, user.id);
  clearCookie(c, SESSION_COOKIE);
  log.info("signed out everywhere", { userId: user.id, sessionsEnded: ended });
  return c.redirect("/signin?notice=signed-out-everywhere", 303);
});

// ---------------------------------------------------------------------------------------------
// Deleting the account

const deleteSchema = z.object({ password: rules.password });

/** True when no other enabled admin would be left to run the server. */
async function isOnlyAdmin(kv: Store, user: User): Promise<boolean> {
  if (user.role !== "admin") return false;
  return (await findOtherActiveAdmin(kv, user.id)) === null;
}

accountRoutes.post("/account/delete", async (c) => {
  const { kv } = c.get("deps");
  const user = c.get("user")!;
  const form = await readConfirmedForm(c, "delete", deleteSchema, "password");
  if (form instanceof Response) return form;
  if (await isOnlyAdmin(kv, user)) {
    return form.fail(
      {},
      "You are the only administrator, so your account cannot be deleted. Make someone else an administrator " +
        "first, then delete your account.",
      409,
    );
  }
  await deleteUser(kv, user.id);
  clearCookie(c, SESSION_COOKIE);
  log.info("account deleted", { userId: user.id });
  return c.redirect("/?notice=account-deleted", 303);
});

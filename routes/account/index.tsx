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
import { CsrfField, Field, Form, Notice, useMessage } from "../../components/Form.tsx";
import { Interpolated } from "../../components/Interpolated.tsx";
import { usePage } from "../../lib/web/page_context.ts";
import { rememberLocale, requestLocale } from "../../lib/web/i18n.ts";
import { translator } from "../../lib/i18n/translate.ts";
import type { MessageKey } from "../../lib/i18n/client.ts";
import { isLocale, LOCALE_NAMES, LOCALES } from "../../lib/i18n/locales.ts";

const log = logger("account");

export const accountRoutes = new Hono<Env>();

/** Fixed texts for ?notice= keys; unknown keys show nothing. */
const NOTICES: Record<string, MessageKey> = {
  "profile-saved": "accounts.settings.profileSaved",
  "email-change-sent": "accounts.settings.emailChangeSent",
  "email-changed": "accounts.settings.emailChangedNotice",
  "password-changed": "accounts.settings.passwordChanged",
  "verify-sent": "accounts.settings.verifySent",
  "already-verified": "accounts.settings.alreadyVerified",
};

/** The page's translator, for titles (bodies translate themselves when they render). */
const text = (c: Context<Env>) => translator(requestLocale(c));

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
  const { t } = usePage();
  if (!state || state.section !== section) return null;
  return <Notice kind="error">{state.problem ?? t("accounts.fixFields")}</Notice>;
}

/** A select with its label and either its hint or its (translated) error, like Field. */
function SelectField(
  { name, id = `f-${name}`, label, hint, error, children }: {
    name: string;
    /** Element id; defaults to `f-<name>` (give one when the page has another field of that name). */
    id?: string;
    label: string;
    hint: string;
    error?: string;
    children: ComponentChildren;
  },
) {
  const message = useMessage(error);
  return (
    <div class={error ? "field has-error" : "field"}>
      <label for={id}>{label}</label>
      <select
        id={id}
        name={name}
        aria-invalid={error ? "true" : undefined}
        aria-describedby={error ? `${id}-error` : `${id}-hint`}
      >
        {children}
      </select>
      {error ? <small class="error" id={`${id}-error`}>{message}</small> : (
        <small class="hint" id={`${id}-hint`}>
          {hint}
        </small>
      )}
    </div>
  );
}

function AccountPage({ user, notice, state }: { user: User; notice?: MessageKey; state?: SectionState }) {
  const { t, locale } = usePage();
  const errorsFor = (s: Section): FieldErrors => state?.section === s ? state.errors : {};
  const valuesFor = (s: Section): FormValues => state?.section === s ? state.values : {};
  const profile = {
    name: user.name,
    timeZone: user.timeZone,
    locale: isLocale(user.locale) ? user.locale : locale,
    ...valuesFor("profile"),
  };
  const zones = TIME_ZONES.includes(user.timeZone) ? TIME_ZONES : [user.timeZone, ...TIME_ZONES];
  const email = <strong>{user.email}</strong>;
  return (
    <div class="stack">
      <h1>{t("accounts.settings.title")}</h1>
      {notice && <Notice kind="success">{t(notice)}</Notice>}

      <section class="card" aria-labelledby="profile-heading">
        <h2 id="profile-heading">{t("accounts.settings.profile")}</h2>
        <Problem state={state} section="profile" />
        <Form action="/account/profile">
          <Field
            name="name"
            label={t("accounts.field.name")}
            value={profile.name}
            error={errorsFor("profile").name}
            autocomplete="name"
            required
          />
          <SelectField
            name="timeZone"
            label={t("accounts.settings.timeZone")}
            hint={t("accounts.settings.timeZoneHint")}
            error={errorsFor("profile").timeZone}
          >
            {zones.map((tz) => <option key={tz} value={tz} selected={tz === profile.timeZone}>{tz}</option>)}
          </SelectField>
          <SelectField
            name="locale"
            id="f-account-locale"
            label={t("site.language")}
            hint={t("accounts.settings.languageHint")}
            error={errorsFor("profile").locale}
          >
            {LOCALES.map((l) => (
              <option key={l} value={l} lang={l} selected={l === profile.locale}>{LOCALE_NAMES[l]}</option>
            ))}
          </SelectField>
          <button type="submit">{t("accounts.settings.saveProfile")}</button>
        </Form>
      </section>

      <section class="card" aria-labelledby="email-heading">
        <h2 id="email-heading">{t("accounts.settings.emailHeading")}</h2>
        <p>
          <Interpolated
            id={user.emailVerified ? "accounts.settings.emailConfirmed" : "accounts.settings.emailUnconfirmed"}
            slot="email"
          >
            {email}
          </Interpolated>
        </p>
        {!user.emailVerified && (
          <form method="post" action="/account/verify" class="inline">
            <CsrfField />
            <button type="submit" class="link">{t("accounts.settings.resendLink")}</button>
          </form>
        )}
        <Problem state={state} section="email" />
        <Form action="/account/email">
          <Field
            name="email"
            label={t("accounts.settings.newEmail")}
            type="email"
            value={valuesFor("email").email}
            error={errorsFor("email").email}
            autocomplete="email"
            hint={t("accounts.settings.newEmailHint")}
            required
          />
          <Field
            type="password"
            required
            id="f-email-password"
            name="password"
            label={t("accounts.settings.yourCurrentPassword")}
            error={errorsFor("email").password}
            autocomplete="current-password"
          />
          <button type="submit">{t("accounts.settings.changeEmail")}</button>
        </Form>
      </section>

      <section class="card" aria-labelledby="password-heading">
        <h2 id="password-heading">{t("accounts.settings.passwordHeading")}</h2>
        <Problem state={state} section="password" />
        <Form action="/account/password">
          <Field
            type="password"
            required
            id="f-current"
            name="current"
            label={t("accounts.settings.currentPassword")}
            error={errorsFor("password").current}
            autocomplete="current-password"
          />
          <Field
            type="password"
            required
            id="f-new-password"
            name="password"
            label={t("accounts.settings.newPassword")}
            error={errorsFor("password").password}
            autocomplete="new-password"
          />
          <button type="submit">{t("accounts.settings.changePassword")}</button>
        </Form>
        <p>{t("accounts.settings.passwordNote")}</p>
      </section>

      <section class="card" aria-labelledby="calendar-heading">
        <h2 id="calendar-heading">{t("accounts.settings.calendarHeading")}</h2>
        <p>
          <Interpolated id="accounts.settings.calendarFeed">
            <a href="/account/calendar">{t("accounts.settings.calendarFeedLink")}</a>
          </Interpolated>
        </p>
        <p>
          <Interpolated id="accounts.settings.reminders">
            <a href="/account/notifications">{t("accounts.settings.remindersLink")}</a>
          </Interpolated>
        </p>
      </section>

      <section class="card" aria-labelledby="security-heading">
        <h2 id="security-heading">{t("accounts.settings.securityHeading")}</h2>
        <p>
          <Interpolated id="accounts.settings.twoFactor" slot="status">
            <strong>{t(user.totpSecret ? "accounts.settings.on" : "accounts.settings.off")}</strong>
          </Interpolated>{" "}
          <a href="/account/totp">
            {t(user.totpSecret ? "accounts.settings.manageTwoFactor" : "accounts.settings.setUpTwoFactor")}
          </a>
        </p>
        <p>
          <Interpolated id="accounts.settings.apiTokens">
            <a href="/account/tokens">{t("accounts.settings.apiTokensLink")}</a>
          </Interpolated>
        </p>
        <form method="post" action="/account/signout-everywhere" class="stack">
          <CsrfField />
          <p>{t("accounts.settings.signOutLead")}</p>
          <button type="submit">{t("accounts.settings.signOutEverywhere")}</button>
        </form>
      </section>

      <section class="card danger-zone" aria-labelledby="delete-heading">
        <h2 id="delete-heading">{t("accounts.settings.deleteHeading")}</h2>
        <p>{t("accounts.settings.deleteLead")}</p>
        <Problem state={state} section="delete" />
        <Form action="/account/delete">
          <Field
            type="password"
            required
            id="f-delete-password"
            name="password"
            label={t("accounts.settings.deletePassword")}
            error={errorsFor("delete").password}
            autocomplete="current-password"
          />
          <button type="submit" class="danger">{t("accounts.settings.deleteSubmit")}</button>
        </Form>
      </section>
    </div>
  );
}

function showAccount(c: Context<Env>, user: User, state: SectionState, status = 422): Response {
  return renderPage(c, <AccountPage user={user} state={state} />, {
    title: text(c)("accounts.settings.title"),
    status,
  });
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
    return fail({ [passwordField]: "accounts.error.notCurrentPassword" });
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
  const noticeKey = c.req.query("notice") ?? "";
  const notice = Object.hasOwn(NOTICES, noticeKey) ? NOTICES[noticeKey] : undefined;
  return renderPage(c, <AccountPage user={c.get("user")!} notice={notice} />, {
    title: text(c)("accounts.settings.title"),
  });
});

// ---------------------------------------------------------------------------------------------
// Profile

// The language is optional: a form without it (an older page, a script) keeps the account's choice.
const profileSchema = z.object({
  name: rules.name,
  timeZone: rules.timeZone,
  locale: z.enum(LOCALES, { message: "accounts.error.language" }).optional(),
});

accountRoutes.post("/account/profile", async (c) => {
  const user = c.get("user")!;
  const form = await parseForm(c, profileSchema);
  if (!form.ok) return showAccount(c, user, { section: "profile", values: form.values, errors: form.errors });
  const { name, timeZone, locale } = form.data;
  await updateUser(c.get("deps").kv, user.id, () => ({ name, timeZone, ...(locale ? { locale } : {}) }));
  // As the footer's picker does: this browser remembers it too (after signing out, say).
  if (locale) rememberLocale(c, locale);
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
  if (email === user.email) return fail({ email: "accounts.error.sameEmail" });
  if (await getUserByEmail(deps.kv, email)) return fail({ email: "accounts.error.emailInUse" });
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

function EmailChangeProblem({ message, email }: { message: MessageKey; email?: string }) {
  const { t } = usePage();
  return (
    <LinkProblem title={t("accounts.settings.emailChangeFailed")}>
      <p>{t(message, email ? { email } : undefined)}</p>
      <p>
        <Interpolated id="accounts.settings.askNewLink">
          <a href="/account">{t("accounts.settings.goToSettings")}</a>
        </Interpolated>
      </p>
    </LinkProblem>
  );
}

function EmailChanged({ email, signedIn }: { email: string; signedIn: boolean }) {
  const { t } = usePage();
  return (
    <LinkProblem title={t("accounts.settings.emailChanged")}>
      <p>{t("accounts.settings.nowUses", { email })}</p>
      <p>
        {signedIn
          ? <a href="/account">{t("accounts.settings.backToSettings")}</a>
          : <a href="/signin">{t("site.signIn")}</a>}
      </p>
    </LinkProblem>
  );
}

accountRoutes.get("/account/email/confirm/:token", async (c) => {
  const { kv } = c.get("deps");
  const data = await consumeToken<ChangeEmailData>(kv, "change_email", c.req.param("token"));
  const problem = (status: 409 | 410, message: MessageKey, email?: string) =>
    renderPage(c, <EmailChangeProblem message={message} email={email} />, {
      title: text(c)("accounts.settings.emailChangeTitle"),
      status,
    });
  if (!data) return problem(410, "accounts.settings.linkUsed");
  let stale = false;
  let user: User | null;
  try {
    user = await updateUser(kv, data.userId, (u) => {
      stale = u.email !== data.oldEmail;
      return stale ? {} : { email: data.newEmail, emailVerified: true };
    });
  } catch (err) {
    if (!(err instanceof EmailTaken)) throw err;
    return problem(409, "accounts.settings.emailTaken", data.newEmail);
  }
  if (!user || stale) return problem(410, "accounts.settings.olderChange");
  log.info("email changed", { userId: user.id });
  return renderPage(c, <EmailChanged email={user.email} signedIn={Boolean(c.get("user"))} />, {
    title: text(c)("accounts.settings.emailChanged"),
  });
});

function ConfirmEmailPage({ email }: { email: string }) {
  const { t } = usePage();
  return (
    <section class="card narrow">
      <h1>{t("accounts.settings.confirmHeading")}</h1>
      <p>
        <Interpolated id="accounts.settings.confirmLead" slot="email">
          <strong>{email}</strong>
        </Interpolated>
      </p>
      <Form action="/account/verify">
        <button type="submit">{t("accounts.settings.sendLink")}</button>
      </Form>
      <p>
        <Interpolated id="accounts.settings.wrongAddress">
          <a href="/account">{t("accounts.settings.changeItLink")}</a>
        </Interpolated>
      </p>
    </section>
  );
}

// ---------------------------------------------------------------------------------------------
// Email verification (resend)

accountRoutes.get("/account/verify", (c) => {
  const user = c.get("user")!;
  if (user.emailVerified) return c.redirect("/account?notice=already-verified", 303);
  return renderPage(c, <ConfirmEmailPage email={user.email} />, {
    title: text(c)("accounts.settings.confirmHeading"),
  });
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
    return form.fail({}, "accounts.settings.onlyAdmin", 409);
  }
  await deleteUser(kv, user.id);
  clearCookie(c, SESSION_COOKIE);
  log.info("account deleted", { userId: user.id });
  return c.redirect("/?notice=account-deleted", 303);
});

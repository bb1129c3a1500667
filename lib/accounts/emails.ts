// The account emails (verification, password reset, email change, security notices): subject, plain
// text and HTML, in the account's language (English without one; lib/i18n/areas/mail.ts). Every
// value is escaped in the HTML; links are printed in full in the text part.
// Also the queue that sign-up and reset mail goes through (queueAccountMail, accountMailHandler).

import type { Mailer, MailMessage } from "../email/mailer.ts";
import type { Store, StoreAtomic } from "../common/store.ts";
import { issueToken } from "./one_time_tokens.ts";
import type { User } from "./users.ts";
import type { AppDeps } from "../web/types.ts";
import { translator } from "../i18n/translate.ts";
import type { MessageKey } from "../i18n/client.ts";
import { escapeHtml, langAttributes, mailLocale } from "../email/i18n.ts";

export const VERIFY_TTL_MS = 24 * 60 * 60 * 1000;
export const CHANGE_EMAIL_TTL_MS = 24 * 60 * 60 * 1000;

/** What a verification link carries: the account and the address it proves. */
export interface VerifyEmailData {
  userId: string;
  email: string;
}

export { escapeHtml };

/** Who an account email is for: their name, address and (optional) chosen language. */
type Recipient = Pick<User, "name" | "email" | "locale">;

export interface Letter {
  to: string;
  /** The account's language; unknown or missing ones write English. */
  locale?: string;
  subject: Line;
  name: string;
  paragraphs: Line[];
  action?: { label: MessageKey; url: string };
  after?: Line[];
}

/** A message key, or one with its values. */
export type Line = MessageKey | [MessageKey, Record<string, string>];

/** Lays a message out the same way in text and HTML, in the recipient's language (every account-ish email). */
export function compose(l: Letter): MailMessage {
  const locale = mailLocale(l);
  const t = translator(locale);
  const say = (line: Line) => typeof line === "string" ? t(line) : t(line[0], line[1]);
  const subject = say(l.subject);
  const greeting = t("mail.greeting", { name: l.name });
  const action = l.action ? { label: t(l.action.label), url: l.action.url } : null;
  const text = [
    greeting,
    ...l.paragraphs.map(say),
    ...(action ? [`${action.label}:\n${action.url}`] : []),
    ...(l.after ?? []).map(say),
    t("mail.signature"),
  ].join("\n\n") + "\n";
  const p = (s: string) => `<p>${escapeHtml(s)}</p>`;
  // No inline styles: the development outbox may show this HTML under the site's strict CSP.
  const html = [
    "<!DOCTYPE html>",
    `<html ${langAttributes(locale)}><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head><body>`,
    p(greeting),
    ...l.paragraphs.map(say).map(p),
    ...(action
      ? [
        `<p><a href="${escapeHtml(action.url)}"><strong>${escapeHtml(action.label)}</strong></a></p>`,
        `<p>${escapeHtml(t("mail.linkFallback"))}<br>${escapeHtml(action.url)}</p>`,
      ]
      : []),
    ...(l.after ?? []).map(say).map(p),
    p(t("mail.signature")),
    "</body></html>",
  ].join("\n");
  return { to: l.to, subject, text, html };
}

export function verifyEmailMessage(user: Recipient, link: string): MailMessage {
  return compose({
    to: user.email,
    locale: user.locale,
    subject: "mail.verify.subject",
    name: user.name,
    paragraphs: [["mail.verify.body", { email: user.email }]],
    action: { label: "mail.verify.action", url: link },
    after: ["mail.verify.after"],
  });
}

export function passwordResetMessage(user: Recipient, link: string): MailMessage {
  return compose({
    to: user.email,
    locale: user.locale,
    subject: "mail.reset.subject",
    name: user.name,
    paragraphs: ["mail.reset.body"],
    action: { label: "mail.reset.action", url: link },
    after: ["mail.reset.after"],
  });
}

/** To the new address; `locale` is the account's (English when the caller has none to give). */
export function confirmEmailChangeMessage(name: string, newEmail: string, link: string, locale?: string): MailMessage {
  return compose({
    to: newEmail,
    locale,
    subject: "mail.changeEmail.subject",
    name,
    paragraphs: [["mail.changeEmail.body", { email: newEmail }]],
    action: { label: "mail.changeEmail.action", url: link },
    after: ["mail.changeEmail.after"],
  });
}

export function emailChangeNoticeMessage(user: Recipient, newEmail: string): MailMessage {
  return compose({
    to: user.email,
    locale: user.locale,
    subject: "mail.changeNotice.subject",
    name: user.name,
    paragraphs: [["mail.changeNotice.body", { email: newEmail }], "mail.changeNotice.advice"],
  });
}

export function passwordChangedMessage(user: Recipient): MailMessage {
  return compose({
    to: user.email,
    locale: user.locale,
    subject: "mail.passwordChanged.subject",
    name: user.name,
    paragraphs: ["mail.passwordChanged.body", "mail.passwordChanged.advice"],
  });
}

export function signupAttemptMessage(user: Recipient, signinUrl: string, resetLink: string): MailMessage {
  return compose({
    to: user.email,
    locale: user.locale,
    subject: "mail.signupAttempt.subject",
    name: user.name,
    paragraphs: [["mail.signupAttempt.body", { email: user.email }], ["mail.signupAttempt.signin", { url: signinUrl }]],
    action: { label: "mail.reset.action", url: resetLink },
    after: ["mail.signupAttempt.after"],
  });
}

/** Issues a 24-hour verification link for the account's current address and emails it. */
export async function sendVerificationEmail(deps: AppDeps, user: User): Promise<void> {
  const data: VerifyEmailData = { userId: user.id, email: user.email };
  const token = await issueToken(deps.kv, "verify_email", data, VERIFY_TTL_MS);
  await deps.mailer.send(verifyEmailMessage(user, `${deps.config.publicUrl}/verify/${token}`));
}

// ---------------------------------------------------------------------------------------------
// Queued account mail: pages that must not tell whether an account exists (sign-up, reset) only
// add the message to the KV queue, in the same commit as the link's token, so the request does
// the same work either way and never waits for SMTP. The process's one queue listener
// (lib/reminders/background.ts, wired in main.ts) delivers it with accountMailHandler.
// The queued value holds the message with its link until delivery (KV deletes it then).

const ACCOUNT_MAIL = "account_mail";

interface AccountMail {
  type: typeof ACCOUNT_MAIL;
  message: MailMessage;
}

/** Adds `message` to the KV queue as part of `op`'s commit (delivered at least once). */
export function queueAccountMail(op: StoreAtomic, message: MailMessage): void {
  op.enqueue({ type: ACCOUNT_MAIL, message } satisfies AccountMail);
}

/**
 * Queues a 24-hour verification link for the account's address: the token and the email go in
 * one commit, so a link is never stored without its email (nor mailed without its token).
 */
export async function queueVerificationEmail(kv: Store, publicUrl: string, user: User): Promise<void> {
  const data: VerifyEmailData = { userId: user.id, email: user.email };
  await issueToken(kv, "verify_email", data, VERIFY_TTL_MS, (op, token) => {
    queueAccountMail(op, verifyEmailMessage(user, `${publicUrl}/verify/${token}`));
  });
}

/**
 * The queue handler for account mail: sends it and returns true; false for other messages. A
 * refused delivery throws, so KV delivers the message again later (with its backoff).
 */
export function accountMailHandler(mailer: Mailer): (message: unknown) => Promise<boolean> {
  return async function deliverAccountMail(message: unknown): Promise<boolean> {
    const m = message as Partial<AccountMail> | null;
    if (m?.type !== ACCOUNT_MAIL || !m.message) return false;
    await mailer.send(m.message);
    return true;
  };
}

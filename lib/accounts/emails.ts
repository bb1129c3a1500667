// The account emails (verification, password reset, email change, security notices): subject, plain
// text and HTML. Every value is escaped in the HTML; links are printed in full in the text part.
// Also the queue that sign-up and reset mail goes through (queueAccountMail, accountMailHandler).

import type { Mailer, MailMessage } from "../email/mailer.ts";
import type { Store, StoreAtomic } from "../common/store.ts";
import { issueToken } from "./one_time_tokens.ts";
import type { User } from "./users.ts";
import type { AppDeps } from "../web/types.ts";

export const VERIFY_TTL_MS = 24 * 60 * 60 * 1000;
export const CHANGE_EMAIL_TTL_MS = 24 * 60 * 60 * 1000;

/** What a verification link carries: the account and the address it proves. */
export interface VerifyEmailData {
  userId: string;
  email: string;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

interface Letter {
  to: string;
  subject: string;
  name: string;
  paragraphs: string[];
  action?: { label: string; url: string };
  after?: string[];
}

/** Lays a message out the same way in text and HTML. */
function compose(l: Letter): MailMessage {
  const text = [
    `Hello ${l.name},`,
    ...l.paragraphs,
    ...(l.action ? [`${l.action.label}:\n${l.action.url}`] : []),
    ...(l.after ?? []),
    "— Talkspace",
  ].join("\n\n") + "\n";
  const p = (s: string) => `<p>${escapeHtml(s)}</p>`;
  // No inline styles: the development outbox may show this HTML under the site's strict CSP.
  const html = [
    "<!DOCTYPE html>",
    `<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(l.subject)}</title></head><body>`,
    p(`Hello ${l.name},`),
    ...l.paragraphs.map(p),
    ...(l.action
      ? [
        `<p><a href="${escapeHtml(l.action.url)}"><strong>${escapeHtml(l.action.label)}</strong></a></p>`,
        `<p>If the link does not open, copy this address into your browser:<br>${escapeHtml(l.action.url)}</p>`,
      ]
      : []),
    ...(l.after ?? []).map(p),
    p("— Talkspace"),
    "</body></html>",
  ].join("\n");
  return { to: l.to, subject: l.subject, text, html };
}

export function verifyEmailMessage(user: Pick<User, "name" | "email">, link: string): MailMessage {
  return compose({
    to: user.email,
    subject: "Confirm your email address for Talkspace",
    name: user.name,
    paragraphs: [
      `Welcome to Talkspace! Please confirm that ${user.email} is your email address, so we can send you ` +
      "meeting invitations and help you if you ever forget your password.",
    ],
    action: { label: "Confirm my email address", url: link },
    after: ["The link works for 24 hours. If you did not create a Talkspace account, you can ignore this email."],
  });
}

export function passwordResetMessage(user: Pick<User, "name" | "email">, link: string): MailMessage {
  return compose({
    to: user.email,
    subject: "Reset your Talkspace password",
    name: user.name,
    paragraphs: ["Someone (hopefully you) asked to reset the password of your Talkspace account."],
    action: { label: "Choose a new password", url: link },
    after: [
      "The link works once, for 30 minutes. If you did not ask for this, ignore this email: your password stays " +
      "the same.",
    ],
  });
}

export function confirmEmailChangeMessage(name: string, newEmail: string, link: string): MailMessage {
  return compose({
    to: newEmail,
    subject: "Confirm your new email address for Talkspace",
    name,
    paragraphs: [`You asked to use ${newEmail} for your Talkspace account. Please confirm it is yours.`],
    action: { label: "Use this email address", url: link },
    after: [
      "The link works for 24 hours. Until you open it, your account keeps its current address. If you did not ask " +
      "for this, ignore this email.",
    ],
  });
}

export function emailChangeNoticeMessage(user: Pick<User, "name" | "email">, newEmail: string): MailMessage {
  return compose({
    to: user.email,
    subject: "Your Talkspace email address is about to change",
    name: user.name,
    paragraphs: [
      `Someone signed in to your Talkspace account asked to change its email address to ${newEmail}. The change ` +
      "happens once the link we sent to the new address is opened.",
      "If this was you, there is nothing more to do here. If it was not, change your password now and tell your " +
      "Talkspace administrator.",
    ],
  });
}

export function passwordChangedMessage(user: Pick<User, "name" | "email">): MailMessage {
  return compose({
    to: user.email,
    subject: "Your Talkspace password was changed",
    name: user.name,
    paragraphs: [
      "The password of your Talkspace account was just changed, and other devices were signed out.",
      "If this was you, there is nothing more to do. If it was not, reset your password from the sign-in page " +
      "right away and tell your Talkspace administrator.",
    ],
  });
}

export function signupAttemptMessage(
  user: Pick<User, "name" | "email">,
  signinUrl: string,
  resetLink: string,
): MailMessage {
  return compose({
    to: user.email,
    subject: "Someone tried to create a Talkspace account with your address",
    name: user.name,
    paragraphs: [
      `Someone (perhaps you) tried to create a new Talkspace account with ${user.email}. You already have an ` +
      "account with this address, so no new account was made.",
      `If it was you, sign in at ${signinUrl}, or choose a new password with the link below if you forgot it.`,
    ],
    action: { label: "Choose a new password", url: resetLink },
    after: [
      "The link works once, for 30 minutes. If it was not you, ignore this email: nothing about your account has " +
      "changed.",
    ],
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

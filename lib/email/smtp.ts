// SMTP delivery through nodemailer: one connection per message, bounded timeouts, no secrets logged.

import nodemailer from "nodemailer";
import MailComposer from "nodemailer/lib/mail-composer";
import type { Config } from "../common/config.ts";
import { logger } from "../common/log.ts";
import { cleanLine } from "../common/text.ts";
import type { Mailer, MailMessage } from "./mailer.ts";

const log = logger("email");

/** Connection, greeting and idle timeouts (ms): a stuck relay must not hold a request for minutes. */
export const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };

export interface SmtpTarget {
  host: string;
  port: number;
  /** Implicit TLS (smtps://); smtp:// still upgrades with STARTTLS when the server offers it. */
  secure: boolean;
  auth?: { user: string; pass: string };
}

/** Parses SMTP_URL (smtp:// or smtps://, optional user:pass@, optional port). The error never echoes the URL. */
export function parseSmtpUrl(smtpUrl: string): SmtpTarget {
  let url: URL;
  try {
    url = new URL(smtpUrl);
  } catch {
    throw new Error("SMTP_URL must be a URL like smtp://user:pass@mail.example.org:587");
  }
  if (url.protocol !== "smtp:" && url.protocol !== "smtps:") {
    throw new Error("SMTP_URL must start with smtp:// or smtps://");
  }
  if (!url.hostname) throw new Error("SMTP_URL has no host name");
  const secure = url.protocol === "smtps:";
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const target: SmtpTarget = { host, port: url.port ? Number(url.port) : secure ? 465 : 587, secure };
  if (url.username) {
    target.auth = { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) };
  }
  return target;
}

/**
 * The recipient as one header value: a line break would start a header of the sender's choosing and
 * a comma or semicolon would add recipients, so either is refused (the caller sees which address).
 */
export function recipientHeader(to: string): string {
  // deno-lint-ignore no-control-regex -- control characters are what a header value may not hold
  if (/[\x00-\x1f\x7f-\x9f\u2028\u2029,;]/.test(to)) {
    throw new Error(`Not a single email address: ${JSON.stringify(to)}`);
  }
  return to;
}

/** The subject as one header line: line breaks become spaces, other control characters go (cleanLine). */
export function subjectHeader(subject: string): string {
  return cleanLine(subject).trim();
}

/** The message as nodemailer takes it: From is always MAIL_FROM; To and Subject are one line each. */
function envelope(config: Config, message: MailMessage) {
  const base = {
    from: config.mailFrom,
    to: recipientHeader(message.to),
    subject: subjectHeader(message.subject),
    text: message.text,
    html: message.html,
  };
  if (!message.calendar) return base;
  const { method, content, filename } = message.calendar;
  // nodemailer writes the part as `text/calendar; charset=utf-8; method=<method>` in the alternatives.
  return { ...base, icalEvent: { method, content, filename: filename ?? "invite.ics" } };
}

/** Builds the RFC 5322 MIME source of a message (what an SMTP server would receive). */
export async function buildRawMessage(config: Config, message: MailMessage): Promise<string> {
  const buf = await new MailComposer(envelope(config, message)).compile().build();
  return buf.toString("utf8");
}

/**
 * A mailer that delivers through SMTP. Send resolves once the server accepted the message and
 * throws (after logging recipient, subject and the server's reason, never the body) when it did not.
 */
export function createSmtpMailer(config: Config): Mailer {
  const target = parseSmtpUrl(config.smtpUrl);
  const transport = nodemailer.createTransport({ ...target, ...SMTP_TIMEOUTS });
  log.info("mail goes out through SMTP", { host: target.host, port: target.port, secure: target.secure });
  return {
    async send(message) {
      try {
        const info = await transport.sendMail(envelope(config, message));
        log.info("mail sent", { to: message.to, subject: message.subject, messageId: info.messageId });
      } catch (err) {
        // warn: the caller decides whether this was the last try (reminders retry; invitations report).
        log.warn("mail delivery failed", {
          to: message.to,
          subject: message.subject,
          host: target.host,
          error: err instanceof Error ? err.message : String(err),
        });
        throw err;
      }
    },
  };
}

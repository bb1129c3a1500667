// Chooses how mail leaves: SMTP when SMTP_URL is set, else the development outbox in KV.

import type { Store } from "../common/store.ts";
import type { Config } from "../common/config.ts";
import type { Mailer } from "./mailer.ts";
import { createOutboxMailer } from "./outbox.ts";
import { createSmtpMailer } from "./smtp.ts";

export type { Mailer, MailMessage } from "./mailer.ts";

/** The app's mailer. Throws at startup (naming SMTP_URL, not echoing it) when SMTP_URL is malformed. */
export function createMailer(config: Config, kv: Store): Mailer {
  return config.smtpUrl ? createSmtpMailer(config) : createOutboxMailer(config, kv);
}

// Chooses how mail leaves: SMTP when SMTP_URL is set, else the development outbox. (Outbox lands with the email work.)

import type { Config } from "../config.ts";
import type { Mailer } from "./mailer.ts";
import { logger } from "../log.ts";

const log = logger("email");

export function createMailer(_config: Config, _kv: Deno.Kv): Mailer {
  return {
    send(message) {
      log.info("mail (not delivered yet)", { to: message.to, subject: message.subject });
      return Promise.resolve();
    },
  };
}

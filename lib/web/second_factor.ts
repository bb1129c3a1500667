// What the two places that check a second-factor code share (the sign-in step at /signin/totp and
// enrollment at /account/totp): one rate-limit scope, so failures in either count together, and
// one message for a wrong code.

import type { Context } from "hono";
import { ADDRESS_RULE } from "../common/rate_limit.ts";
import type { RuledSubject } from "../common/rate_limit.ts";
import type { Env } from "./types.ts";
import type { MessageKey } from "../i18n/client.ts";

/** Rate-limit scope shared by every place that checks a second-factor code. */
export const TOTP_LIMIT_SCOPE = "totp";

/** A message key (lib/i18n/areas/accounts.ts): the pages show it in their language. */
export const WRONG_CODE: MessageKey = "accounts.error.wrongCode";

/** The rate-limit subjects of a code check: the person and the client address. */
export function totpLimitSubjects(c: Context<Env>, userId: string): [string, RuledSubject] {
  return [`user:${userId}`, { subject: `ip:${c.get("clientIp")}`, rule: ADDRESS_RULE }];
}

// What the two places that check a second-factor code share (the sign-in step at /signin/totp and
// enrollment at /account/totp): one rate-limit scope, so failures in either count together, and
// one message for a wrong code.

import type { Context } from "hono";
import { ADDRESS_RULE } from "../common/rate_limit.ts";
import type { RuledSubject } from "../common/rate_limit.ts";
import type { Env } from "./types.ts";

/** Rate-limit scope shared by every place that checks a second-factor code. */
export const TOTP_LIMIT_SCOPE = "totp";

export const WRONG_CODE = "That code is not valid or was already used. Wait for the next code from your app, " +
  "or use one of your recovery codes.";

/** The rate-limit subjects of a code check: the person and the client address. */
export function totpLimitSubjects(c: Context<Env>, userId: string): [string, RuledSubject] {
  return [`user:${userId}`, { subject: `ip:${c.get("clientIp")}`, rule: ADDRESS_RULE }];
}

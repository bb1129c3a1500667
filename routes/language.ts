// POST /language: the language picker in the site's footer. Remembers the choice in this browser
// (guests too) and on the account when someone is signed in, then goes back to the page.

import { Hono } from "hono";
import type { Env } from "../lib/web/types.ts";
import { readForm } from "../lib/web/validate.ts";
import { rememberLocale } from "../lib/web/i18n.ts";
import { safeNext } from "../lib/web/signin.ts";
import { isLocale } from "../lib/i18n/locales.ts";
import { setAccountLocale } from "../lib/accounts/users.ts";
import { ValidationError } from "../lib/common/errors.ts";

export const languageRoutes = new Hono<Env>();

languageRoutes.post("/language", async (c) => {
  const form = await readForm(c);
  const locale = form.locale;
  if (!isLocale(locale)) {
    throw new ValidationError({ locale: "accounts.error.language" }, "accounts.error.language");
  }
  rememberLocale(c, locale);
  const user = c.get("user");
  if (user) await setAccountLocale(c.get("deps").kv, user.id, locale);
  return c.redirect(safeNext(form.back) ?? "/", 303);
});

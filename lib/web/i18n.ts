// The request's language: the account's choice, else the visitor's `ts_lang` cookie (set by the
// language picker, for guests too), else Accept-Language, else English. Worked out once per
// request and only by what needs it (pages), so API and socket requests pay nothing.

import type { Context } from "hono";
import type { Env } from "./types.ts";
import { readCookie, writeCookie } from "./cookies.ts";
import { isLocale, type Locale, negotiateLocale } from "../i18n/locales.ts";

export const LANGUAGE_COOKIE = "ts_lang";
const LANGUAGE_COOKIE_SECONDS = 365 * 24 * 60 * 60;

export function requestLocale(c: Context<Env>): Locale {
  const known = c.get("locale");
  if (known) return known;
  const chosen = c.get("user")?.locale;
  const cookie = readCookie(c, LANGUAGE_COOKIE);
  const locale = isLocale(chosen)
    ? chosen
    : isLocale(cookie)
    ? cookie
    : negotiateLocale(c.req.header("accept-language"));
  c.set("locale", locale);
  return locale;
}

/** Remembers a visitor's choice in this browser (accounts also keep it on the account). */
export function rememberLocale(c: Context<Env>, locale: Locale) {
  writeCookie(c, LANGUAGE_COOKIE, locale, LANGUAGE_COOKIE_SECONDS);
  c.set("locale", locale);
}

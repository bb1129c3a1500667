// Cookie names and attributes: __Host- prefixed, Secure over HTTPS; HttpOnly and SameSite=Lax always.

import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { isHttps } from "../common/config.ts";
import type { Env } from "./types.ts";

function name(c: Context<Env>, base: string): string {
  return isHttps(c.get("deps").config) ? `__Host-${base}` : base;
}

export function readCookie(c: Context<Env>, base: string): string | undefined {
  return getCookie(c, name(c, base));
}

export function writeCookie(c: Context<Env>, base: string, value: string, maxAgeSeconds?: number) {
  const secure = isHttps(c.get("deps").config);
  setCookie(c, name(c, base), value, {
    path: "/",
    httpOnly: true,
    sameSite: "Lax",
    secure,
    ...(maxAgeSeconds !== undefined ? { maxAge: maxAgeSeconds } : {}),
  });
}

export function clearCookie(c: Context<Env>, base: string) {
  const secure = isHttps(c.get("deps").config);
  deleteCookie(c, name(c, base), { path: "/", secure });
}

export const SESSION_COOKIE = "ts_session";
export const CSRF_COOKIE = "ts_csrf";

// Translating with a compiled catalog: what pages and islands both use. Only @lingui/core's
// runtime (2.2 KB gzip) runs in the browser; the catalogs are compiled on the server
// (translate.ts) and an island gets just the compiled messages it shows, in its props.

import { setupI18n } from "@lingui/core";
import type { Messages } from "@lingui/core";
import type { MessageKey as CoreKey } from "./messages/en.ts";
import type { AreaKey } from "./areas/index.ts";
import type { Locale } from "./locales.ts";

/** Every message key: the core catalog's and the areas' (lib/i18n/areas/). */
export type MessageKey = CoreKey | AreaKey;
export type { Locale };
/** Compiled messages (lingui's JSON form), keyed like the catalogs. */
export type CompiledCatalog = Messages;
export type Translate = (key: MessageKey, values?: Record<string, string | number>) => string;

/** What an island needs to speak the page's language. */
export interface IslandI18n {
  locale: Locale;
  messages: CompiledCatalog;
}

/**
 * The key and values of a message carried as one string (lib/i18n/message.ts: `key` or
 * `key{"name":"value"}`), without checking the key against a catalog: what an island reads from the
 * server (the meeting socket's refusals). Null for text that has no such form.
 */
export function splitMessage(text: string): { key: string; values?: Record<string, string | number> } | null {
  const brace = text.indexOf("{");
  const key = brace < 0 ? text : text.slice(0, brace);
  if (!/^[a-z][\w-]*(\.[\w-]+)+$/i.test(key)) return null;
  if (brace < 0) return { key };
  try {
    const values: unknown = JSON.parse(text.slice(brace));
    if (values === null || typeof values !== "object" || Array.isArray(values)) return null;
    const ok = Object.values(values).every((v) => typeof v === "string" || typeof v === "number");
    return ok ? { key, values: values as Record<string, string | number> } : null;
  } catch {
    return null;
  }
}

/**
 * A message the server sent as one string (`key` or `key{values}`), said in the island's language
 * when the island's catalog has its key; otherwise `fallback` (what the server said in English).
 */
export function sayFrom(i18n: IslandI18n, said: string | undefined, fallback: string): string {
  const m = said ? splitMessage(said) : null;
  if (!m || !Object.hasOwn(i18n.messages, m.key)) return fallback;
  return makeTranslate(i18n)(m.key as MessageKey, m.values);
}

export function makeTranslate({ locale, messages }: IslandI18n): Translate {
  const i18n = setupI18n({ locale, messages: { [locale]: messages } });
  return (key, values) => i18n._(key, values);
}

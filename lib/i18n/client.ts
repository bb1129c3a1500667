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

export function makeTranslate({ locale, messages }: IslandI18n): Translate {
  const i18n = setupI18n({ locale, messages: { [locale]: messages } });
  return (key, values) => i18n._(key, values);
}

// The server's side of the catalogs: each language's ICU messages compiled once (on first use) by
// @lingui/message-utils, a translator per language for pages, and the subset an island ships.

import { compileMessage } from "@lingui/message-utils/compileMessage";
import { type Catalog, en } from "./messages/en.ts";
import { de } from "./messages/de.ts";
import { es } from "./messages/es.ts";
import { ar } from "./messages/ar.ts";
import type { Locale } from "./locales.ts";
import { AREAS } from "./areas/index.ts";
import type { MessageKey } from "./client.ts";
import { type CompiledCatalog, type IslandI18n, makeTranslate, type Translate } from "./client.ts";

const CORE: Record<Locale, Catalog> = { en, de, es, ar };

/** Each language's whole catalog: the core's messages and every area's (lib/i18n/areas/). */
export const CATALOGS: Record<Locale, Record<MessageKey, string>> = Object.fromEntries(
  (Object.keys(CORE) as Locale[]).map((l) => [l, Object.assign({}, CORE[l], ...AREAS.map((a) => a[l]))]),
) as Record<Locale, Record<MessageKey, string>>;

const compiled = new Map<Locale, CompiledCatalog>();
const translators = new Map<Locale, Translate>();

/** Every message of `locale`, compiled. */
export function compiledCatalog(locale: Locale): CompiledCatalog {
  let c = compiled.get(locale);
  if (!c) {
    c = Object.fromEntries(Object.entries(CATALOGS[locale]).map(([k, v]) => [k, compileMessage(v)]));
    compiled.set(locale, c);
  }
  return c;
}

/** The translator pages use for `locale`. */
export function translator(locale: Locale): Translate {
  let t = translators.get(locale);
  if (!t) {
    t = makeTranslate({ locale, messages: compiledCatalog(locale) });
    translators.set(locale, t);
  }
  return t;
}

/** The message key prefixes the meeting island shows: its own, and the copy button's inside it. */
export const ROOM_PREFIXES = ["room.", "copy."] as const;

/** An island's catalog: the compiled messages whose keys start with one of `prefixes` (e.g. "room."). */
export function islandI18n(locale: Locale, prefixes: readonly string[]): IslandI18n {
  // Picked once per language and prefixes: the meeting pages ask for it on every render.
  const key = `${locale} ${prefixes.join(" ")}`;
  let found = islandCatalogs.get(key);
  if (!found) {
    const all = compiledCatalog(locale);
    const messages = Object.fromEntries(Object.entries(all).filter(([k]) => prefixes.some((p) => k.startsWith(p))));
    found = { locale, messages };
    islandCatalogs.set(key, found);
  }
  return found;
}

const islandCatalogs = new Map<string, IslandI18n>();

/** Whether `text` is a message key (field errors carry keys where their schema has been translated). */
export function isMessageKey(text: string): text is MessageKey {
  return Object.hasOwn(CATALOGS.en, text);
}

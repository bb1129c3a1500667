// A catalog area: the messages of one part of the product (accounts pages, meeting pages, mail…)
// in every language, in one file, so each part's strings are kept (and translated) together.
// English is the source; the type makes every other language carry exactly English's keys.

import type { Locale } from "./locales.ts";

export type AreaCatalogs<K extends string> =
  & { en: Record<K, string> }
  & Record<Exclude<Locale, "en">, Record<K, string>>;

/** Declares an area: `en` fixes the keys, each other language must give all of them. */
export function defineArea<const E extends Record<string, string>>(
  en: E,
  others: Record<Exclude<Locale, "en">, Record<keyof E & string, string>>,
): AreaCatalogs<keyof E & string> {
  return { en, ...others } as AreaCatalogs<keyof E & string>;
}

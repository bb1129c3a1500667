// What server-rendered components may read about the current request.

import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { User } from "../accounts/users.ts";
import type { Locale } from "../i18n/locales.ts";
import type { Translate } from "../i18n/client.ts";
import { translator } from "../i18n/translate.ts";

export interface PageInfo {
  user: User | null;
  csrfToken: string;
  path: string;
  env: string;
  /** The page's language and its translator (lib/i18n). */
  locale: Locale;
  t: Translate;
  /** The response's CSP nonce, for the few script tags the layout writes itself. */
  nonce: string;
}

export const PageContext = createContext<PageInfo>({
  user: null,
  csrfToken: "",
  path: "/",
  env: "production",
  locale: "en",
  t: translator("en"),
  nonce: "",
});

export function usePage(): PageInfo {
  return useContext(PageContext);
}

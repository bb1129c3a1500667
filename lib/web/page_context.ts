// What server-rendered components may read about the current request.

import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { User } from "../accounts/users.ts";

export interface PageInfo {
  user: User | null;
  csrfToken: string;
  path: string;
  env: string;
  /** The response's CSP nonce, for the few script tags the layout writes itself. */
  nonce: string;
}

export const PageContext = createContext<PageInfo>({
  user: null,
  csrfToken: "",
  path: "/",
  env: "production",
  nonce: "",
});

export function usePage(): PageInfo {
  return useContext(PageContext);
}

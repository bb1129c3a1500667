// What server-rendered components may read about the current request.

import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { User } from "../accounts/users.ts";

export interface PageInfo {
  user: User | null;
  csrfToken: string;
  path: string;
  env: string;
}

export const PageContext = createContext<PageInfo>({ user: null, csrfToken: "", path: "/", env: "production" });

export function usePage(): PageInfo {
  return useContext(PageContext);
}

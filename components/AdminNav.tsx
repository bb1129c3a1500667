// The tabs at the top of every administration page, and the pager under its lists, in the page's language.

import { usePage } from "../lib/web/page_context.ts";
import { Pager, type PagerProps } from "./Pager.tsx";

export function AdminNav({ current }: { current: "users" | "audit" }) {
  const { t } = usePage();
  return (
    <nav class="admin-nav" aria-label={t("accounts.admin.nav")}>
      <a href="/admin/users" aria-current={current === "users" ? "page" : undefined}>{t("accounts.admin.accounts")}</a>
      <a href="/admin/audit" aria-current={current === "audit" ? "page" : undefined}>{t("accounts.admin.audit")}</a>
    </nav>
  );
}

/** The shared Pager (it speaks the page's language itself), for the account list and the audit log. */
export function AdminPager(props: PagerProps) {
  return <Pager {...props} />;
}

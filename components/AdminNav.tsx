// The tabs at the top of every administration page.

import { usePage } from "../lib/web/page_context.ts";

export function AdminNav({ current }: { current: "users" | "audit" }) {
  const { t } = usePage();
  return (
    <nav class="admin-nav" aria-label={t("accounts.admin.nav")}>
      <a href="/admin/users" aria-current={current === "users" ? "page" : undefined}>{t("accounts.admin.accounts")}</a>
      <a href="/admin/audit" aria-current={current === "audit" ? "page" : undefined}>{t("accounts.admin.audit")}</a>
    </nav>
  );
}

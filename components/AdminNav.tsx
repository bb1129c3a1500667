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

/** The shared Pager with its words translated (pages of accounts, or the audit log newest first). */
export function AdminPager(props: Omit<PagerProps, "labels">) {
  const { t } = usePage();
  const labels = props.order === "time"
    ? {
      nav: t("accounts.pager.nav"),
      prev: t("accounts.pager.newer"),
      first: t("accounts.pager.newest"),
      next: t("accounts.pager.older"),
    }
    : {
      nav: t("accounts.pager.nav"),
      prev: t("accounts.pager.prev"),
      first: t("accounts.pager.first"),
      next: t("accounts.pager.next"),
    };
  return <Pager {...props} labels={labels} />;
}

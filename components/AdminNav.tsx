// The tabs at the top of every administration page.

export function AdminNav({ current }: { current: "users" | "audit" }) {
  return (
    <nav class="admin-nav" aria-label="Administration">
      <a href="/admin/users" aria-current={current === "users" ? "page" : undefined}>Accounts</a>
      <a href="/admin/audit" aria-current={current === "audit" ? "page" : undefined}>Audit log</a>
    </nav>
  );
}

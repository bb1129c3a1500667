// GET /admin/audit: the audit log of administrators' actions, paged by ULID cursor.

import { Hono } from "hono";
import { Fragment } from "preact";
import { requireAdmin } from "../../lib/web/middleware.ts";
import { ValidationError } from "../../lib/common/errors.ts";
import type { FieldErrors } from "../../lib/common/errors.ts";
import { renderPage } from "../../lib/web/render.tsx";
import type { Env } from "../../lib/web/types.ts";
import { listAuditEntries } from "../../lib/accounts/audit.ts";
import type { AuditEntry } from "../../lib/accounts/audit.ts";
import { AdminNav, AdminPager } from "../../components/AdminNav.tsx";
import { LocalTime } from "../../components/LocalTime.tsx";
import { usePage } from "../../lib/web/page_context.ts";
import { requestLocale } from "../../lib/web/i18n.ts";
import { translator } from "../../lib/i18n/translate.ts";
import type { MessageKey, Translate } from "../../lib/i18n/client.ts";

import { TableHead } from "../../components/TableHead.tsx";

export const AUDIT_PER_PAGE = 50;

export const adminAuditRoutes = new Hono<Env>();

// routes/admin/users.tsx guards /admin/* too; this file does not rely on being mounted after it.
adminAuditRoutes.use("/admin/audit", requireAdmin());

// ---------------------------------------------------------------------------------------------
// Audit log

const ULID_RE = /^[0-9A-HJKMNP-TV-Z]{26}$/;

const ACTION_LABELS: Record<string, MessageKey> = {
  "user.role_changed": "accounts.admin.actionRoleChanged",
  "user.disabled": "accounts.admin.actionDisabled",
  "user.enabled": "accounts.admin.actionEnabled",
  "user.password_reset_sent": "accounts.admin.actionResetSent",
  "user.deleted": "accounts.admin.actionDeleted",
};

/** What the details the actions record are called (lib/accounts/admin.ts); others show their own key. */
const DETAIL_LABELS: Record<string, MessageKey> = {
  from: "accounts.audit.from",
  to: "accounts.audit.to",
  name: "accounts.admin.colName",
  role: "accounts.admin.colRole",
};
const ROLE_DETAILS = new Set(["from", "to", "role"]);
const ROLE_LABELS: Record<string, MessageKey> = { admin: "accounts.admin.roleAdmin", user: "accounts.admin.roleUser" };

/** A detail as a labelled field in the page's language: roles by their translated names, other values as stored. */
function detailField(t: Translate, key: string, value: unknown): [string, string] {
  const label = Object.hasOwn(DETAIL_LABELS, key) ? t(DETAIL_LABELS[key]) : key;
  const role = ROLE_DETAILS.has(key) && typeof value === "string" && Object.hasOwn(ROLE_LABELS, value);
  return [label, role ? t(ROLE_LABELS[value as string]) : String(value)];
}

adminAuditRoutes.get("/admin/audit", async (c) => {
  const before = c.req.query("before");
  const after = c.req.query("after");
  const invalid: FieldErrors = {};
  for (const [name, v] of [["before", before], ["after", after]] as const) {
    if (v !== undefined && !ULID_RE.test(v)) {
      invalid[name] = "accounts.audit.staleLink";
    }
  }
  if (Object.keys(invalid).length) throw new ValidationError(invalid, "meetings.error.badPageLink");
  const { entries, older, newer } = await listAuditEntries(c.get("deps").kv, { before, after, limit: AUDIT_PER_PAGE });
  return renderPage(
    c,
    <section class="card admin">
      <AdminNav current="audit" />
      <AuditTable entries={entries} paged={Boolean(before || after)} />
      <AdminPager
        prev={newer}
        next={older}
        href={(cursor, direction) => `/admin/audit?${direction === "prev" ? "after" : "before"}=${cursor}`}
        firstHref="/admin/audit"
        order="time"
        alwaysFirst
      />
    </section>,
    { title: translator(requestLocale(c))("accounts.admin.audit") },
  );
});

function AuditTable({ entries, paged }: { entries: AuditEntry[]; paged: boolean }) {
  const { t } = usePage();
  return (
    <>
      <h1>{t("accounts.admin.audit")}</h1>
      {entries.length === 0
        ? <p>{t(paged ? "accounts.admin.noEntriesPage" : "accounts.admin.noEntries")}</p>
        : (
          <table class="admin-table audit-table">
            <TableHead
              columns={[
                t("accounts.admin.colTime"),
                t("accounts.admin.colActor"),
                t("accounts.admin.colAction"),
                t("accounts.admin.colTarget"),
                t("accounts.admin.colDetails"),
              ]}
            />
            <tbody>
              {entries.map((e) => <AuditRow key={e.id} entry={e} />)}
            </tbody>
          </table>
        )}
    </>
  );
}

function AuditRow({ entry: e }: { entry: AuditEntry }) {
  const { t } = usePage();
  const label = Object.hasOwn(ACTION_LABELS, e.action) ? t(ACTION_LABELS[e.action]) : e.action;
  const details = Object.entries(e.details);
  return (
    <tr>
      <td>
        <LocalTime iso={e.at} />
      </td>
      <td>{e.actorEmail}</td>
      <td>
        <span class="audit-action" data-action={e.action}>{label}</span>
      </td>
      <td>{e.targetEmail}</td>
      <td>
        {details.length > 0 && (
          <dl class="audit-details">
            {details.map(([k, v]) => {
              const [label, value] = detailField(t, k, v);
              return (
                <Fragment key={k}>
                  <dt>{label}</dt>
                  <dd>{value}</dd>
                </Fragment>
              );
            })}
          </dl>
        )}
      </td>
    </tr>
  );
}

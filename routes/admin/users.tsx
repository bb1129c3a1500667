// /admin (sends admins to the account list) and /admin/users…: search accounts, change a role,
// disable/enable, send a reset link, delete. Every /admin page requires an administrator.

import { Hono } from "hono";
import type { Context } from "hono";
import { z } from "zod";
import { requireAdmin } from "../../lib/web/middleware.ts";
import { NotFound, ValidationError } from "../../lib/common/errors.ts";
import type { FieldErrors } from "../../lib/common/errors.ts";
import { renderPage } from "../../lib/web/render.tsx";
import type { Env } from "../../lib/web/types.ts";
import { parseForm, readForm } from "../../lib/web/validate.ts";
import { getRetentionDays, storageBytes } from "../../lib/recordings/store.ts";
import { setAccountRetention } from "../../lib/recordings/service.ts";
import { formatBytes } from "../../components/RecordingTable.tsx";
import type { FormValues } from "../../lib/web/validate.ts";
import { getUser, InvalidCursor, listUsers } from "../../lib/accounts/users.ts";
import type { User } from "../../lib/accounts/users.ts";
import {
  changeRole,
  deleteUserAsAdmin,
  disableUser,
  enableUser,
  LastAdmin,
  recordResetSent,
  UserGone,
} from "../../lib/accounts/admin.ts";
import type { Actor } from "../../lib/accounts/admin.ts";
import { sendPasswordReset } from "../../lib/accounts/reset.ts";
import { logger } from "../../lib/common/log.ts";
import { Field, Form, Notice } from "../../components/Form.tsx";
import { AdminNav, AdminPager } from "../../components/AdminNav.tsx";
import { LocalTime } from "../../components/LocalTime.tsx";
import { useMessage } from "../../components/Form.tsx";
import { usePage } from "../../lib/web/page_context.ts";
import { requestLocale } from "../../lib/web/i18n.ts";
import { translator } from "../../lib/i18n/translate.ts";
import type { MessageKey } from "../../lib/i18n/client.ts";

import { TableHead } from "../../components/TableHead.tsx";

const log = logger("admin");

export const USERS_PER_PAGE = 25;

export const adminUserRoutes = new Hono<Env>();

adminUserRoutes.use("/admin", requireAdmin());
adminUserRoutes.use("/admin/*", requireAdmin());

adminUserRoutes.get("/admin", (c) => c.redirect("/admin/users", 303));

// ---------------------------------------------------------------------------------------------
// Account list

const LIST_NOTICES: Record<string, MessageKey> = {
  deleted: "accounts.admin.deleted",
};

/** The page's translator, for titles (bodies translate themselves when they render). */
const text = (c: Context<Env>) => translator(requestLocale(c));

/** What a role is called on these pages. */
const ROLE_NAMES: Record<User["role"], MessageKey> = {
  user: "accounts.admin.roleUser",
  admin: "accounts.admin.roleAdmin",
};

interface ListProps {
  users: User[];
  q: string;
  cursor?: string;
  offset: number;
  total: number | null;
  notice?: MessageKey;
}

function AccountList({ users, q, cursor, offset, total, notice }: ListProps) {
  const { t } = usePage();
  const range = { from: offset + 1, to: offset + users.length };
  return (
    <>
      <h1>{t("accounts.admin.accounts")}</h1>
      {notice && <Notice kind="success">{t(notice)}</Notice>}
      <form method="get" action="/admin/users" class="search-form" role="search">
        <label for="admin-q">{t("accounts.admin.search")}</label>
        <input id="admin-q" name="q" type="search" value={q} />
        <button type="submit">{t("accounts.admin.searchSubmit")}</button>
        {q && <a href="/admin/users">{t("accounts.admin.showEveryone")}</a>}
      </form>
      <p class="result-count">
        {users.length === 0
          ? (cursor
            ? t("accounts.admin.noMore")
            : q
            ? t("accounts.admin.noMatch", { query: q })
            : t("accounts.admin.noAccounts"))
          : q
          ? t("accounts.admin.showingMatch", { ...range, query: q })
          : t("accounts.admin.showing", { ...range, total: total ?? 0 })}
      </p>
      {users.length > 0 && (
        <table class="admin-table">
          <TableHead
            columns={[
              t("accounts.admin.colName"),
              t("accounts.admin.colEmail"),
              t("accounts.admin.colVerified"),
              t("accounts.admin.colRole"),
              t("accounts.admin.colTwoFactor"),
              t("accounts.admin.colStatus"),
              t("accounts.admin.colCreated"),
            ]}
          />
          <tbody>
            {users.map((u) => (
              <tr key={u.id} class={u.disabled ? "is-disabled" : undefined}>
                <td>
                  <a href={`/admin/users/${u.id}`}>{u.name}</a>
                </td>
                <td>{u.email}</td>
                <td>{t(u.emailVerified ? "accounts.admin.yes" : "accounts.admin.no")}</td>
                <td>{t(ROLE_NAMES[u.role])}</td>
                <td>{t(u.totpSecret != null ? "accounts.admin.on" : "accounts.admin.off")}</td>
                <td>
                  <span class={u.disabled ? "badge badge-disabled" : "badge badge-active"}>
                    {t(u.disabled ? "accounts.admin.disabledStatus" : "accounts.admin.active")}
                  </span>
                </td>
                <td>
                  <LocalTime iso={u.createdAt} dateOnly />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

adminUserRoutes.get("/admin/users", async (c) => {
  const q = (c.req.query("q") ?? "").trim().slice(0, 200);
  const cursor = c.req.query("cursor");
  const { kv } = c.get("deps");
  let page;
  try {
    page = await listUsers(kv, { query: q, cursor: cursor || undefined, limit: USERS_PER_PAGE });
  } catch (err) {
    if (err instanceof InvalidCursor) {
      throw new ValidationError({ cursor: "accounts.error.staleCursor" }, "meetings.error.badPageLink");
    }
    throw err;
  }
  const { users, next, prev, offset, total } = page;
  const link = (cur: string) => `/admin/users?${new URLSearchParams({ ...(q ? { q } : {}), cursor: cur })}`;
  const noticeKey = c.req.query("notice") ?? "";
  const notice = Object.hasOwn(LIST_NOTICES, noticeKey) ? LIST_NOTICES[noticeKey] : undefined;
  const recordingBytes = await storageBytes(kv);
  return renderPage(
    c,
    <section class="card admin">
      <AdminNav current="users" />
      <RecordingStorage bytes={recordingBytes} />
      <AccountList users={users} q={q} cursor={cursor} offset={offset} total={total} notice={notice} />
      <AdminPager
        prev={prev}
        next={next}
        href={link}
        firstHref={q ? `/admin/users?${new URLSearchParams({ q })}` : "/admin/users"}
        order="pages"
      />
    </section>,
    { title: text(c)("accounts.admin.accounts") },
  );
});

/** Storage used by every ready recording (a counter, not a scan). */
function RecordingStorage({ bytes }: { bytes: number }) {
  const { t, locale } = usePage();
  return <p class="recording-storage">{t("recordings.admin.totalStorage", { size: formatBytes(bytes, locale) })}</p>;
}

// ---------------------------------------------------------------------------------------------
// One account and its actions

const USER_NOTICES: Record<string, MessageKey> = {
  role: "accounts.admin.roleChanged",
  disabled: "accounts.admin.disabledNotice",
  enabled: "accounts.admin.enabledNotice",
  reset: "accounts.admin.resetNotice",
  unchanged: "accounts.admin.unchanged",
  retention: "recordings.admin.retentionSaved",
};

/** What the last-admin guard says, for each thing it refused. */
const LAST_ADMIN: Record<LastAdmin["attempted"], MessageKey> = {
  demote: "accounts.admin.lastAdminDemote",
  disable: "accounts.admin.lastAdminDisable",
  delete: "accounts.admin.lastAdminDelete",
};

interface UserPageState {
  status?: number;
  error?: MessageKey;
  fields?: FieldErrors;
  values?: FormValues;
}

function UserPage({ user, self, notice, state, recordings }: {
  user: User;
  self: boolean;
  notice?: MessageKey;
  state: UserPageState;
  recordings: { bytes: number; days: number | null; serverDays: number };
}) {
  const { t } = usePage();
  const base = `/admin/users/${user.id}`;
  const roleError = useMessage(state.fields?.role);
  return (
    <section class="card admin">
      <AdminNav current="users" />
      <p>
        <a href="/admin/users">{t("accounts.admin.allAccounts")}</a>
      </p>
      <h1>{user.name}</h1>
      {notice && !state.error && <Notice kind="success">{t(notice)}</Notice>}
      {state.error && <Notice kind="error">{t(state.error)}</Notice>}
      <dl class="details-list">
        <dt>{t("accounts.admin.colEmail")}</dt>
        <dd>{user.email} {t(user.emailVerified ? "accounts.admin.verified" : "accounts.admin.notVerified")}</dd>
        <dt>{t("accounts.admin.colRole")}</dt>
        <dd>{t(ROLE_NAMES[user.role])}</dd>
        <dt>{t("accounts.admin.colTwoFactor")}</dt>
        <dd>{t(user.totpSecret != null ? "accounts.admin.on" : "accounts.admin.off")}</dd>
        <dt>{t("accounts.admin.colStatus")}</dt>
        <dd>{t(user.disabled ? "accounts.admin.disabledStatus" : "accounts.admin.active")}</dd>
        <dt>{t("accounts.admin.colCreated")}</dt>
        <dd>
          <LocalTime iso={user.createdAt} />
        </dd>
      </dl>
      {self && <Notice kind="info">{t("accounts.admin.ownAccount")}</Notice>}

      <div class="admin-actions">
        <Form action={`${base}/role`} class="stack">
          <h2>{t("accounts.admin.colRole")}</h2>
          <div class={state.fields?.role ? "field has-error" : "field"}>
            <label for="f-role">{t("accounts.admin.colRole")}</label>
            <select id="f-role" name="role">
              <option value="user" selected={user.role === "user"}>{t(ROLE_NAMES.user)}</option>
              <option value="admin" selected={user.role === "admin"}>{t(ROLE_NAMES.admin)}</option>
            </select>
            {roleError && <small class="error">{roleError}</small>}
          </div>
          <button type="submit">{t("accounts.admin.changeRole")}</button>
        </Form>

        {user.disabled
          ? (
            <Form action={`${base}/enable`} class="stack">
              <h2>{t("accounts.admin.enableHeading")}</h2>
              <p>{t("accounts.admin.enableLead")}</p>
              <button type="submit">{t("accounts.admin.enableSubmit")}</button>
            </Form>
          )
          : (
            <Form action={`${base}/disable`} class="stack">
              <h2>{t("accounts.admin.disableHeading")}</h2>
              <p>{t("accounts.admin.disableLead")}</p>
              <button type="submit" class="danger">{t("accounts.admin.disableSubmit")}</button>
            </Form>
          )}

        <Form action={`${base}/reset`} class="stack">
          <h2>{t("accounts.admin.resetHeading")}</h2>
          <p>{t("accounts.admin.resetLead", { email: user.email })}</p>
          <button type="submit" class="secondary">{t("accounts.admin.resetSubmit")}</button>
        </Form>

        <Form action={`${base}/delete`} class="stack">
          <h2>{t("accounts.admin.deleteHeading")}</h2>
          <p>{t("accounts.admin.deleteLead")}</p>
          <Field
            name="confirm"
            label={t("accounts.admin.deleteConfirm", { email: user.email })}
            type="text"
            autocomplete="off"
            value={state.values?.confirm}
            error={state.fields?.confirm}
          />
          <button type="submit" class="danger">{t("accounts.admin.deleteSubmit")}</button>
        </Form>

        <RecordingAdmin user={user} recordings={recordings} state={state} />
      </div>
    </section>
  );
}

async function renderUserPage(c: Context<Env>, user: User, state: UserPageState = {}): Promise<Response> {
  const self = c.get("user")!.id === user.id;
  const noticeKey = c.req.query("notice") ?? "";
  const notice = Object.hasOwn(USER_NOTICES, noticeKey) ? USER_NOTICES[noticeKey] : undefined;
  const { kv, config } = c.get("deps");
  const recordings = {
    bytes: await storageBytes(kv, user.id),
    days: await getRetentionDays(kv, user.id),
    serverDays: config.recordingRetentionDays,
  };
  return renderPage(
    c,
    <UserPage user={user} self={self} notice={notice} state={state} recordings={recordings} />,
    { title: user.name, status: state.status },
  );
}

/** An account's recordings for its admin: the storage they use and how long they are kept. */
function RecordingAdmin({ user, recordings, state }: {
  user: User;
  recordings: { bytes: number; days: number | null; serverDays: number };
  state: UserPageState;
}) {
  const { t, locale } = usePage();
  return (
    <Form action={`/admin/users/${user.id}/recordings`} class="stack">
      <h2>{t("recordings.admin.heading")}</h2>
      <p>{t("recordings.admin.accountStorage", { size: formatBytes(recordings.bytes, locale) })}</p>
      <Field
        name="days"
        label={t("recordings.admin.retention")}
        inputmode="numeric"
        value={state.values?.days ?? (recordings.days === null ? "" : String(recordings.days))}
        error={state.fields?.days}
        hint={t("recordings.admin.retentionHint", { days: recordings.serverDays })}
      />
      <button type="submit">{t("recordings.admin.retentionSave")}</button>
    </Form>
  );
}

/** Loads the account named in the path, or 404. */
async function targetUser(c: Context<Env>): Promise<User> {
  const user = await getUser(c.get("deps").kv, c.req.param("id") ?? "");
  if (!user) throw new NotFound("accounts.error.noAccount");
  return user;
}

function actorOf(c: Context<Env>): Actor {
  const u = c.get("user")!;
  return { id: u.id, email: u.email };
}

/** Runs an admin operation, turning its domain errors into a re-rendered page or a 404. */
async function guarded<T>(c: Context<Env>, user: User, run: () => Promise<T>): Promise<T | Response> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof UserGone) throw new NotFound("accounts.error.noAccount");
    if (err instanceof LastAdmin) return renderUserPage(c, user, { status: 409, error: LAST_ADMIN[err.attempted] });
    throw err;
  }
}

adminUserRoutes.get("/admin/users/:id", async (c) => renderUserPage(c, await targetUser(c)));

adminUserRoutes.post("/admin/users/:id/recordings", async (c) => {
  const user = await targetUser(c);
  const values = await readForm(c);
  const text = (values.days ?? "").trim();
  try {
    const admin = actorOf(c);
    await setAccountRetention(
      c.get("deps").kv,
      { userId: admin.id, email: admin.email },
      user,
      text === "" ? null : Number(text),
    );
  } catch (err) {
    if (err instanceof ValidationError) {
      return await renderUserPage(c, user, { status: 422, fields: err.fields, values });
    }
    throw err;
  }
  log.info("recording retention changed", { actorId: actorOf(c).id, targetId: user.id, days: text || null });
  return c.redirect(`/admin/users/${user.id}?notice=retention`, 303);
});

const RoleForm = z.object({
  role: z.enum(["admin", "user"], { message: "accounts.error.chooseRole" }),
});

adminUserRoutes.post("/admin/users/:id/role", async (c) => {
  const user = await targetUser(c);
  const form = await parseForm(c, RoleForm);
  if (!form.ok) return renderUserPage(c, user, { status: 422, fields: form.errors, values: form.values });
  const res = await guarded(c, user, () => changeRole(c.get("deps").kv, actorOf(c), user.id, form.data.role));
  if (res instanceof Response) return res;
  if (res.audit) log.info("role changed", { actorId: actorOf(c).id, targetId: user.id, role: form.data.role });
  // An admin who made themselves a regular user can no longer see this page.
  if (user.id === actorOf(c).id && form.data.role !== "admin") return c.redirect("/dashboard", 303);
  return c.redirect(`/admin/users/${user.id}?notice=${res.audit ? "role" : "unchanged"}`, 303);
});

adminUserRoutes.post("/admin/users/:id/disable", async (c) => {
  const user = await targetUser(c);
  const res = await guarded(c, user, () => disableUser(c.get("deps").kv, actorOf(c), user.id));
  if (res instanceof Response) return res;
  log.info("account disabled", { actorId: actorOf(c).id, targetId: user.id, sessionsEnded: res.sessionsEnded });
  // Disabling yourself (allowed while another admin remains) ends your own session too.
  if (user.id === actorOf(c).id) return c.redirect("/signin", 303);
  return c.redirect(`/admin/users/${user.id}?notice=${res.audit ? "disabled" : "unchanged"}`, 303);
});

adminUserRoutes.post("/admin/users/:id/enable", async (c) => {
  const user = await targetUser(c);
  const res = await guarded(c, user, () => enableUser(c.get("deps").kv, actorOf(c), user.id));
  if (res instanceof Response) return res;
  if (res.audit) log.info("account enabled", { actorId: actorOf(c).id, targetId: user.id });
  return c.redirect(`/admin/users/${user.id}?notice=${res.audit ? "enabled" : "unchanged"}`, 303);
});

adminUserRoutes.post("/admin/users/:id/reset", async (c) => {
  const user = await targetUser(c);
  if (user.disabled) {
    return renderUserPage(c, user, {
      status: 409,
      error: "accounts.admin.resetDisabled",
    });
  }
  const deps = c.get("deps");
  try {
    await sendPasswordReset(deps, user);
  } catch {
    // The mailer has logged the reason (without the message body).
    return renderUserPage(c, user, {
      status: 502,
      error: "accounts.admin.mailFailed",
    });
  }
  await recordResetSent(deps.kv, actorOf(c), user);
  return c.redirect(`/admin/users/${user.id}?notice=reset`, 303);
});

const DeleteForm = z.object({ confirm: z.string().trim().toLowerCase().max(300) });

adminUserRoutes.post("/admin/users/:id/delete", async (c) => {
  const user = await targetUser(c);
  const form = await parseForm(c, DeleteForm);
  if (!form.ok || form.data.confirm !== user.email) {
    return renderUserPage(c, user, {
      status: 422,
      // A message with a value: translated here (this page is never cached), not by the field.
      fields: { confirm: text(c)("accounts.error.confirmEmail", { email: user.email }) },
      values: form.values,
    });
  }
  const res = await guarded(c, user, () => deleteUserAsAdmin(c.get("deps").kv, actorOf(c), user.id));
  if (res instanceof Response) return res;
  log.info("account deleted", { actorId: actorOf(c).id, targetId: user.id });
  if (user.id === actorOf(c).id) return c.redirect("/", 303);
  return c.redirect("/admin/users?notice=deleted", 303);
});

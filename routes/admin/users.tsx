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
import { parseForm } from "../../lib/web/validate.ts";
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
import { AdminNav } from "../../components/AdminNav.tsx";
import { UtcTime } from "../../components/UtcTime.tsx";
import { Pager } from "../../components/Pager.tsx";
import { TableHead } from "../../components/TableHead.tsx";

const log = logger("admin");

export const USERS_PER_PAGE = 25;

export const adminUserRoutes = new Hono<Env>();

adminUserRoutes.use("/admin", requireAdmin());
adminUserRoutes.use("/admin/*", requireAdmin());

adminUserRoutes.get("/admin", (c) => c.redirect("/admin/users", 303));

// ---------------------------------------------------------------------------------------------
// Account list

const LIST_NOTICES: Record<string, string> = {
  deleted: "The account was deleted.",
};

adminUserRoutes.get("/admin/users", async (c) => {
  const q = (c.req.query("q") ?? "").trim().slice(0, 200);
  const cursor = c.req.query("cursor");
  const { kv } = c.get("deps");
  let page;
  try {
    page = await listUsers(kv, { query: q, cursor: cursor || undefined, limit: USERS_PER_PAGE });
  } catch (err) {
    if (err instanceof InvalidCursor) throw new ValidationError({ cursor: err.message }, "This page link is not valid");
    throw err;
  }
  const { users, next, prev, offset, total } = page;
  const link = (cur: string) => `/admin/users?${new URLSearchParams({ ...(q ? { q } : {}), cursor: cur })}`;
  const range = `${offset + 1}–${offset + users.length}`;
  const notice = LIST_NOTICES[c.req.query("notice") ?? ""];
  return renderPage(
    c,
    <section class="card admin">
      <AdminNav current="users" />
      <h1>Accounts</h1>
      {notice && <Notice kind="success">{notice}</Notice>}
      <form method="get" action="/admin/users" class="search-form" role="search">
        <label for="admin-q">Search by name or the start of the email</label>
        <input id="admin-q" name="q" type="search" value={q} />
        <button type="submit">Search</button>
        {q && <a href="/admin/users">Show everyone</a>}
      </form>
      <p class="result-count">
        {users.length === 0
          ? (cursor ? "No more accounts on this page." : q ? `No accounts match “${q}”.` : "No accounts yet.")
          : q
          ? `Showing ${range} of the accounts matching “${q}”.`
          : `Showing ${range} of ${total} account${total === 1 ? "" : "s"}.`}
      </p>
      {users.length > 0 && (
        <table class="admin-table">
          <TableHead columns={["Name", "Email", "Verified", "Role", "Two-factor", "Status", "Created"]} />
          <tbody>
            {users.map((u) => (
              <tr key={u.id} class={u.disabled ? "is-disabled" : undefined}>
                <td>
                  <a href={`/admin/users/${u.id}`}>{u.name}</a>
                </td>
                <td>{u.email}</td>
                <td>{u.emailVerified ? "yes" : "no"}</td>
                <td>{u.role}</td>
                <td>{u.totpSecret != null ? "on" : "off"}</td>
                <td>
                  <span class={u.disabled ? "badge badge-disabled" : "badge badge-active"}>
                    {u.disabled ? "disabled" : "active"}
                  </span>
                </td>
                <td>
                  <time datetime={u.createdAt}>{u.createdAt.slice(0, 10)}</time>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager
        prev={prev}
        next={next}
        href={link}
        firstHref={q ? `/admin/users?${new URLSearchParams({ q })}` : "/admin/users"}
        order="pages"
      />
    </section>,
    { title: "Accounts" },
  );
});

// ---------------------------------------------------------------------------------------------
// One account and its actions

const USER_NOTICES: Record<string, string> = {
  role: "The role was changed.",
  disabled: "The account is disabled and all of its sessions have ended.",
  enabled: "The account is enabled again.",
  reset: "A password reset link is on its way.",
  unchanged: "Nothing changed: the account already was that way.",
};

interface UserPageState {
  status?: number;
  error?: string;
  fields?: FieldErrors;
  values?: FormValues;
}

function renderUserPage(c: Context<Env>, user: User, state: UserPageState = {}): Response {
  const self = c.get("user")!.id === user.id;
  const notice = USER_NOTICES[c.req.query("notice") ?? ""];
  const base = `/admin/users/${user.id}`;
  return renderPage(
    c,
    <section class="card admin">
      <AdminNav current="users" />
      <p>
        <a href="/admin/users">← All accounts</a>
      </p>
      <h1>{user.name}</h1>
      {notice && !state.error && <Notice kind="success">{notice}</Notice>}
      {state.error && <Notice kind="error">{state.error}</Notice>}
      <dl class="details-list">
        <dt>Email</dt>
        <dd>{user.email} {user.emailVerified ? "(verified)" : "(not verified)"}</dd>
        <dt>Role</dt>
        <dd>{user.role}</dd>
        <dt>Two-factor</dt>
        <dd>{user.totpSecret != null ? "on" : "off"}</dd>
        <dt>Status</dt>
        <dd>{user.disabled ? "disabled" : "active"}</dd>
        <dt>Created</dt>
        <dd>
          <UtcTime iso={user.createdAt} />
        </dd>
      </dl>
      {self && <Notice kind="info">This is your own account.</Notice>}

      <div class="admin-actions">
        <Form action={`${base}/role`} class="stack">
          <h2>Role</h2>
          <div class={state.fields?.role ? "field has-error" : "field"}>
            <label for="f-role">Role</label>
            <select id="f-role" name="role">
              <option value="user" selected={user.role === "user"}>user</option>
              <option value="admin" selected={user.role === "admin"}>admin</option>
            </select>
            {state.fields?.role && <small class="error">{state.fields.role}</small>}
          </div>
          <button type="submit">Change role</button>
        </Form>

        {user.disabled
          ? (
            <Form action={`${base}/enable`} class="stack">
              <h2>Enable</h2>
              <p>The person can sign in again with their password.</p>
              <button type="submit">Enable account</button>
            </Form>
          )
          : (
            <Form action={`${base}/disable`} class="stack">
              <h2>Disable</h2>
              <p>Signs the person out everywhere at once and stops them from signing in. API tokens stop working.</p>
              <button type="submit" class="danger">Disable account</button>
            </Form>
          )}

        <Form action={`${base}/reset`} class="stack">
          <h2>Password reset</h2>
          <p>Emails a link to {user.email} that lets the person choose a new password (valid for 30 minutes).</p>
          <button type="submit" class="secondary">Send a reset link</button>
        </Form>

        <Form action={`${base}/delete`} class="stack">
          <h2>Delete</h2>
          <p>Removes the account, its sessions, tokens and two-factor data. This cannot be undone.</p>
          <Field
            name="confirm"
            label={`Type ${user.email} to confirm`}
            type="text"
            autocomplete="off"
            value={state.values?.confirm}
            error={state.fields?.confirm}
          />
          <button type="submit" class="danger">Delete account</button>
        </Form>
      </div>
    </section>,
    { title: user.name, status: state.status },
  );
}

/** Loads the account named in the path, or 404. */
async function targetUser(c: Context<Env>): Promise<User> {
  const user = await getUser(c.get("deps").kv, c.req.param("id") ?? "");
  if (!user) throw new NotFound("There is no account with that id");
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
    if (err instanceof UserGone) throw new NotFound("There is no account with that id");
    if (err instanceof LastAdmin) return renderUserPage(c, user, { status: 409, error: err.message });
    throw err;
  }
}

adminUserRoutes.get("/admin/users/:id", async (c) => renderUserPage(c, await targetUser(c)));

const RoleForm = z.object({
  role: z.enum(["admin", "user"], { message: "Choose admin or user" }),
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
      error: "This account is disabled, so no reset link was sent. Enable it first.",
    });
  }
  const deps = c.get("deps");
  try {
    await sendPasswordReset(deps, user);
  } catch {
    // The mailer has logged the reason (without the message body).
    return renderUserPage(c, user, {
      status: 502,
      error: "The mail server did not accept the reset email. Check the mail settings and try again.",
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
      fields: { confirm: `Type the account's email address, ${user.email}, to confirm` },
      values: form.values,
    });
  }
  const res = await guarded(c, user, () => deleteUserAsAdmin(c.get("deps").kv, actorOf(c), user.id));
  if (res instanceof Response) return res;
  log.info("account deleted", { actorId: actorOf(c).id, targetId: user.id });
  if (user.id === actorOf(c).id) return c.redirect("/", 303);
  return c.redirect("/admin/users?notice=deleted", 303);
});

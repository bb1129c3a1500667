// Admin account management: who may use it, what each action does, the last-admin guard, and the audit log.

import assert from "node:assert/strict";
import { makeTestApp } from "./support/app.ts";
import type { TestApp, TestClient } from "./support/app.ts";
import { createUser, getUser, getUserByEmail } from "../lib/db/users.ts";
import type { User } from "../lib/db/users.ts";
import { createSession } from "../lib/db/sessions.ts";
import { keys } from "../lib/db/keys.ts";
import { listAuditEntries, recordAudit } from "../lib/db/audit.ts";
import type { AuditEntry } from "../lib/db/audit.ts";
import { changeRole, LastAdmin } from "../lib/db/admin.ts";
import { hashPassword } from "../lib/auth/password.ts";

async function makeUser(t: TestApp, name: string, email: string, passwordHash = "x"): Promise<User> {
  return await createUser(t.kv, { name, email, passwordHash });
}

/** A client signed in as `user` with a full session. */
async function signedIn(t: TestApp, user: User): Promise<TestClient> {
  const client = t.client();
  const { token } = await createSession(t.kv, user.id, "full");
  client.cookies.set("ts_session", token);
  return client;
}

async function allAudit(kv: Deno.Kv): Promise<AuditEntry[]> {
  return (await listAuditEntries(kv, { limit: 500 })).entries;
}

async function sessionCount(kv: Deno.Kv, userId: string): Promise<number> {
  let n = 0;
  for await (const _ of kv.list({ prefix: keys.sessionsByUser(userId) })) n++;
  return n;
}

/** Sets up an admin (first account), a regular user and a target account. */
async function setup() {
  const t = await makeTestApp();
  const admin = await makeUser(t, "Ada Admin", "ada@example.org");
  const bob = await makeUser(t, "Bob User", "bob@example.org");
  const carol = await makeUser(t, "Carol Target", "carol@example.org");
  assert.equal(admin.role, "admin");
  assert.equal(bob.role, "user");
  return { t, admin, bob, carol, adminClient: await signedIn(t, admin) };
}

Deno.test("every admin route refuses non-admins (403) and anonymous visitors (sign-in redirect)", async () => {
  const { t, bob, carol } = await setup();
  try {
    const before = await getUser(t.kv, carol.id);
    const gets = ["/admin", "/admin/users", "/admin/users?q=carol&page=2", "/admin/audit", `/admin/users/${carol.id}`];
    const posts: [string, Record<string, string>][] = [
      [`/admin/users/${carol.id}/role`, { role: "admin" }],
      [`/admin/users/${carol.id}/disable`, {}],
      [`/admin/users/${carol.id}/enable`, {}],
      [`/admin/users/${carol.id}/reset`, {}],
      [`/admin/users/${carol.id}/delete`, { confirm: carol.email }],
    ];
    const bobClient = await signedIn(t, bob);
    const anonymous = t.client();
    for (const path of gets) {
      const r1 = await bobClient.get(path);
      await r1.body?.cancel();
      assert.equal(r1.status, 403, `non-admin GET ${path}`);
      const r2 = await anonymous.get(path);
      await r2.body?.cancel();
      assert.equal(r2.status, 303, `anonymous GET ${path}`);
      assert.ok(r2.headers.get("location")?.startsWith("/signin"), `anonymous GET ${path} goes to sign-in`);
    }
    for (const [path, fields] of posts) {
      const r1 = await bobClient.postForm(path, fields);
      await r1.body?.cancel();
      assert.equal(r1.status, 403, `non-admin POST ${path}`);
      const r2 = await anonymous.postForm(path, fields);
      await r2.body?.cancel();
      assert.equal(r2.status, 303, `anonymous POST ${path}`);
      assert.ok(r2.headers.get("location")?.startsWith("/signin"), `anonymous POST ${path} goes to sign-in`);
    }
    // Nothing changed: the account is as it was, no audit entries, no mail, the bystander still admin-less.
    assert.deepEqual(await getUser(t.kv, carol.id), before);
    assert.equal((await getUser(t.kv, bob.id))!.role, "user");
    assert.deepEqual(await allAudit(t.kv), []);
    assert.equal(t.mailer.sent.length, 0);
  } finally {
    t.close();
  }
});

Deno.test("unknown account ids answer 404 for the page and every action", async () => {
  const { t, adminClient } = await setup();
  try {
    const id = "01HZZZZZZZZZZZZZZZZZZZZZZZ";
    const r = await adminClient.get(`/admin/users/${id}`);
    await r.body?.cancel();
    assert.equal(r.status, 404);
    for (const action of ["role", "disable", "enable", "reset", "delete"]) {
      const res = await adminClient.postForm(`/admin/users/${id}/${action}`, { role: "user", confirm: "x@y.z" });
      await res.body?.cancel();
      assert.equal(res.status, 404, action);
    }
    assert.deepEqual(await allAudit(t.kv), []);
  } finally {
    t.close();
  }
});

Deno.test("account list: table columns, search by name or email, 25 per page with prev/next and a total", async () => {
  const { t, adminClient, carol } = await setup();
  try {
    for (let i = 1; i <= 30; i++) {
      await makeUser(t, `Member ${String(i).padStart(2, "0")}`, `member${String(i).padStart(2, "0")}@club.test`);
    }
    await t.kv.set(keys.user(carol.id), { ...carol, totpSecret: "JBSWY3DPEHPK3PXP", emailVerified: true });
    // 33 accounts in all.
    let res = await adminClient.get("/admin/users");
    let html = await res.text();
    assert.equal(res.status, 200);
    assert.ok(html.includes("Showing 1–25 of 33 accounts"));
    assert.ok(html.includes('href="/admin/users?page=2"'));
    assert.ok(!html.includes('rel="prev"'), "no previous link on page 1");
    assert.ok(html.includes("ada@example.org"));
    assert.ok(html.includes(`href="/admin/users/${carol.id}"`));
    for (const h of ["Name", "Email", "Verified", "Role", "Two-factor", "Status", "Created"]) {
      assert.ok(html.includes(`>${h}</th>`));
    }
    // Carol's row says verified, two-factor on, active.
    const carolRow = html.slice(html.indexOf("carol@example.org") - 200, html.indexOf("carol@example.org") + 400);
    assert.ok(carolRow.includes("<td>yes</td>"));
    assert.ok(carolRow.includes("<td>on</td>"));
    assert.ok(carolRow.includes("active"));

    res = await adminClient.get("/admin/users?page=2");
    html = await res.text();
    assert.ok(html.includes("Showing 26–33 of 33 accounts"));
    assert.ok(html.includes('href="/admin/users?page=1"'));
    assert.ok(!html.includes('rel="next"'), "no next link on the last page");
    assert.ok(html.includes("member30@club.test"));
    assert.ok(!html.includes("ada@example.org"), "page 2 does not repeat page 1");

    // Search by email fragment, and by name (case-insensitive), with paging links keeping the query.
    res = await adminClient.get("/admin/users?q=club.test");
    html = await res.text();
    assert.ok(html.includes("Showing 1–25 of 30 accounts matching"));
    assert.ok(html.includes('href="/admin/users?q=club.test&amp;page=2"'));
    res = await adminClient.get("/admin/users?q=CAROL%20t");
    html = await res.text();
    assert.ok(html.includes("Showing 1–1 of 1 account matching"));
    assert.ok(html.includes("carol@example.org"));
    assert.ok(!html.includes("member01@club.test"));
    res = await adminClient.get("/admin/users?q=nobody-has-this");
    assert.ok((await res.text()).includes("No accounts match"));
  } finally {
    t.close();
  }
});

Deno.test("role change: stored, audited with actor and target, validated, and idempotent", async () => {
  const { t, admin, adminClient, carol } = await setup();
  try {
    let res = await adminClient.postForm(`/admin/users/${carol.id}/role`, { role: "superuser" });
    assert.equal(res.status, 422);
    assert.ok((await res.text()).includes("Choose admin or user"));
    assert.equal((await getUser(t.kv, carol.id))!.role, "user");

    res = await adminClient.postForm(`/admin/users/${carol.id}/role`, { role: "admin" });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("location"), `/admin/users/${carol.id}?notice=role`);
    assert.equal((await getUser(t.kv, carol.id))!.role, "admin");
    const [entry] = await allAudit(t.kv);
    assert.deepEqual(
      [entry.action, entry.actorId, entry.actorEmail, entry.targetId, entry.targetEmail, entry.details],
      ["user.role_changed", admin.id, admin.email, carol.id, carol.email, { from: "user", to: "admin" }],
    );
    // The same role again changes nothing and writes nothing.
    res = await adminClient.postForm(`/admin/users/${carol.id}/role`, { role: "admin" });
    assert.equal(res.headers.get("location"), `/admin/users/${carol.id}?notice=unchanged`);
    assert.equal((await allAudit(t.kv)).length, 1);
    // Carol can now open the admin pages.
    const carolClient = await signedIn(t, (await getUser(t.kv, carol.id))!);
    res = await carolClient.get("/admin/users");
    await res.body?.cancel();
    assert.equal(res.status, 200);
  } finally {
    t.close();
  }
});

Deno.test("disable ends the person's sessions at once and blocks sign-in; enable lets them back", async () => {
  const { t, admin, adminClient } = await setup();
  try {
    const dave = await makeUser(t, "Dave", "dave@example.org", await hashPassword("correct horse battery"));
    const daveClient = await signedIn(t, dave);
    const daveOtherDevice = await signedIn(t, dave);
    let res = await daveClient.get("/dashboard");
    await res.body?.cancel();
    assert.equal(res.status, 200, "Dave is signed in before");
    assert.equal(await sessionCount(t.kv, dave.id), 2);

    res = await adminClient.postForm(`/admin/users/${dave.id}/disable`, {});
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("location"), `/admin/users/${dave.id}?notice=disabled`);
    assert.equal((await getUser(t.kv, dave.id))!.disabled, true);
    assert.equal(await sessionCount(t.kv, dave.id), 0, "all of Dave's sessions are gone");
    for (const client of [daveClient, daveOtherDevice]) {
      res = await client.get("/dashboard");
      await res.body?.cancel();
      assert.equal(res.status, 303, "Dave's next request is signed out");
      assert.ok(res.headers.get("location")?.startsWith("/signin"));
    }
    // A disabled account cannot sign in with the right password.
    const fresh = t.client();
    res = await fresh.postForm("/signin", { email: dave.email, password: "correct horse battery" });
    await res.body?.cancel();
    assert.ok(res.status !== 303, "sign-in of a disabled account does not redirect in");
    assert.ok(!fresh.cookies.has("ts_session"), "no session cookie for a disabled account");
    // The page shows the state and offers Enable.
    res = await adminClient.get(`/admin/users/${dave.id}?notice=disabled`);
    let html = await res.text();
    assert.ok(html.includes("all of its sessions have ended"));
    assert.ok(html.includes(`action="/admin/users/${dave.id}/enable"`));

    res = await adminClient.postForm(`/admin/users/${dave.id}/enable`, {});
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("location"), `/admin/users/${dave.id}?notice=enabled`);
    assert.equal((await getUser(t.kv, dave.id))!.disabled, false);
    res = await fresh.postForm("/signin", { email: dave.email, password: "correct horse battery" });
    await res.body?.cancel();
    assert.equal(res.status, 303, "an enabled account signs in again");
    assert.ok(fresh.cookies.has("ts_session"));

    const entries = await allAudit(t.kv);
    assert.deepEqual(entries.map((e) => e.action), ["user.enabled", "user.disabled"]);
    for (const e of entries) assert.deepEqual([e.actorId, e.targetId, e.targetEmail], [admin.id, dave.id, dave.email]);

    res = await adminClient.get(`/admin/users/${dave.id}`);
    html = await res.text();
    assert.ok(html.includes(`action="/admin/users/${dave.id}/disable"`), "an enabled account offers Disable again");
  } finally {
    t.close();
  }
});

Deno.test("delete needs the email typed as confirmation, removes the account and is audited", async () => {
  const { t, admin, adminClient, carol } = await setup();
  try {
    await signedIn(t, carol);
    let res = await adminClient.postForm(`/admin/users/${carol.id}/delete`, { confirm: "someone@else.org" });
    assert.equal(res.status, 422);
    assert.ok((await res.text()).includes("to confirm"));
    res = await adminClient.postForm(`/admin/users/${carol.id}/delete`, {});
    await res.body?.cancel();
    assert.equal(res.status, 422);
    assert.ok(await getUser(t.kv, carol.id), "still there after a wrong confirmation");
    assert.deepEqual(await allAudit(t.kv), []);

    res = await adminClient.postForm(`/admin/users/${carol.id}/delete`, { confirm: "  Carol@Example.org " });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("location"), "/admin/users?notice=deleted");
    assert.equal(await getUser(t.kv, carol.id), null);
    assert.equal(await getUserByEmail(t.kv, carol.email), null);
    assert.equal(await sessionCount(t.kv, carol.id), 0);
    const [entry] = await allAudit(t.kv);
    assert.deepEqual(
      [entry.action, entry.actorId, entry.actorEmail, entry.targetId, entry.targetEmail, entry.details.name],
      ["user.deleted", admin.id, admin.email, carol.id, carol.email, carol.name],
    );
    res = await adminClient.get("/admin/users?notice=deleted");
    assert.ok((await res.text()).includes("The account was deleted."));
  } finally {
    t.close();
  }
});

Deno.test("the last enabled admin cannot demote, disable or delete themselves; with a second admin they can", async () => {
  const { t, admin, adminClient, carol } = await setup();
  try {
    const attempts: [string, Record<string, string>][] = [
      ["role", { role: "user" }],
      ["disable", {}],
      ["delete", { confirm: admin.email }],
    ];
    for (const [action, fields] of attempts) {
      const res = await adminClient.postForm(`/admin/users/${admin.id}/${action}`, fields);
      assert.equal(res.status, 409, action);
      assert.ok((await res.text()).includes("last enabled administrator"), action);
    }
    const still = (await getUser(t.kv, admin.id))!;
    assert.deepEqual([still.role, still.disabled], ["admin", false]);
    assert.deepEqual(await allAudit(t.kv), []);

    // A disabled admin does not count as a remaining admin.
    await t.kv.set(keys.user(carol.id), { ...carol, role: "admin", disabled: true });
    let res = await adminClient.postForm(`/admin/users/${admin.id}/role`, { role: "user" });
    await res.body?.cancel();
    assert.equal(res.status, 409);

    // Once Carol is enabled, Ada may step down; she then leaves the admin area.
    res = await adminClient.postForm(`/admin/users/${carol.id}/enable`, {});
    await res.body?.cancel();
    res = await adminClient.postForm(`/admin/users/${admin.id}/role`, { role: "user" });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("location"), "/dashboard");
    assert.equal((await getUser(t.kv, admin.id))!.role, "user");
    res = await adminClient.get("/admin/users");
    await res.body?.cancel();
    assert.equal(res.status, 403);
  } finally {
    t.close();
  }
});

Deno.test("two admins stepping down at the same moment leave one admin (guard holds under a race)", async () => {
  const { t, admin, carol } = await setup();
  try {
    await t.kv.set(keys.user(carol.id), { ...carol, role: "admin" });
    const results = await Promise.allSettled([
      changeRole(t.kv, admin, admin.id, "user"),
      changeRole(t.kv, carol, carol.id, "user"),
    ]);
    const refused = results.filter((r) => r.status === "rejected");
    assert.equal(refused.length, 1, "exactly one of the two is refused");
    assert.ok((refused[0] as PromiseRejectedResult).reason instanceof LastAdmin);
    const roles = [(await getUser(t.kv, admin.id))!.role, (await getUser(t.kv, carol.id))!.role];
    assert.equal(roles.filter((r) => r === "admin").length, 1);
    assert.equal((await allAudit(t.kv)).length, 1, "only the change that happened is audited");
  } finally {
    t.close();
  }
});

Deno.test("reset link: mail goes to the person with a /reset/ link and the action is audited", async () => {
  const { t, admin, adminClient, carol } = await setup();
  try {
    let res = await adminClient.postForm(`/admin/users/${carol.id}/reset`, {});
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("location"), `/admin/users/${carol.id}?notice=reset`);
    const link = t.mailer.link(carol.email, "/reset/");
    assert.ok(link.startsWith(`${t.config.publicUrl}/reset/`));
    const [entry] = await allAudit(t.kv);
    assert.deepEqual(
      [entry.action, entry.actorId, entry.targetId, entry.targetEmail],
      ["user.password_reset_sent", admin.id, carol.id, carol.email],
    );
    // A disabled account gets no link, and the admin is told so.
    await t.kv.set(keys.user(carol.id), { ...carol, disabled: true });
    const sent = t.mailer.sent.length;
    res = await adminClient.postForm(`/admin/users/${carol.id}/reset`, {});
    assert.equal(res.status, 409);
    assert.ok((await res.text()).includes("Enable it first"));
    assert.equal(t.mailer.sent.length, sent);
    assert.equal((await allAudit(t.kv)).length, 1);
  } finally {
    t.close();
  }
});

Deno.test("audit page lists every action newest first with actor, target and details", async () => {
  const { t, adminClient, carol, bob } = await setup();
  try {
    const steps: [string, Record<string, string>][] = [
      [`/admin/users/${carol.id}/role`, { role: "admin" }],
      [`/admin/users/${carol.id}/disable`, {}],
      [`/admin/users/${carol.id}/enable`, {}],
      [`/admin/users/${carol.id}/reset`, {}],
      [`/admin/users/${bob.id}/delete`, { confirm: bob.email }],
    ];
    for (const [path, fields] of steps) {
      const res = await adminClient.postForm(path, fields);
      await res.body?.cancel();
      assert.equal(res.status, 303, path);
    }
    const stored = await allAudit(t.kv);
    assert.deepEqual(stored.map((e) => e.action), [
      "user.deleted",
      "user.password_reset_sent",
      "user.enabled",
      "user.disabled",
      "user.role_changed",
    ]);
    for (const e of stored) {
      assert.deepEqual((await t.kv.get(keys.auditEntry(e.id))).value, e, "each entry is stored under its own key");
      assert.equal(e.actorEmail, "ada@example.org");
    }
    const res = await adminClient.get("/admin/audit");
    assert.equal(res.status, 200);
    const html = await res.text();
    const order = [
      "deleted",
      "sent a password reset link to",
      "enabled",
      "disabled",
      "changed the role of",
    ].map((label) => html.indexOf(`>${label}</span>`));
    assert.ok(order.every((i) => i > 0), "every action is shown");
    assert.deepEqual([...order].sort((a, b) => a - b), order, "newest first");
    assert.ok(html.includes("carol@example.org"));
    assert.ok(html.includes("bob@example.org"));
    assert.ok(html.includes("ada@example.org"));
    assert.ok(html.includes("<dt>to</dt><dd>admin</dd>"));
  } finally {
    t.close();
  }
});

Deno.test("audit page is paged 50 at a time with older/newer links", async () => {
  const { t, adminClient, admin } = await setup();
  try {
    for (let i = 0; i < 120; i++) {
      await recordAudit(t.kv, {
        actorId: admin.id,
        actorEmail: admin.email,
        action: "user.enabled",
        targetId: `t${i}`,
        targetEmail: `target${String(i).padStart(3, "0")}@example.org`,
      });
    }
    let res = await adminClient.get("/admin/audit");
    let html = await res.text();
    assert.ok(html.includes("target119@example.org"));
    assert.ok(html.includes("target070@example.org"));
    assert.ok(!html.includes("target069@example.org"));
    assert.ok(!html.includes('rel="prev"'), "no newer link on the newest page");
    const older = /href="(\/admin\/audit\?before=[0-9A-Z]{26})"/.exec(html)?.[1];
    assert.ok(older, "an older link");

    res = await adminClient.get(older);
    html = await res.text();
    assert.ok(html.includes("target069@example.org"));
    assert.ok(html.includes("target020@example.org"));
    assert.ok(!html.includes("target070@example.org"));
    const newer = /href="(\/admin\/audit\?after=[0-9A-Z]{26})"/.exec(html)?.[1];
    assert.ok(newer, "a newer link");
    const older2 = /href="(\/admin\/audit\?before=[0-9A-Z]{26})"/.exec(html)?.[1];
    assert.ok(older2);

    res = await adminClient.get(older2);
    html = await res.text();
    assert.ok(html.includes("target019@example.org"));
    assert.ok(html.includes("target000@example.org"));
    assert.ok(!html.includes('rel="next"'), "no older link on the oldest page");

    // Going back from the middle page shows the newest page again.
    res = await adminClient.get(newer);
    html = await res.text();
    assert.ok(html.includes("target119@example.org"));
    assert.ok(html.includes("target070@example.org"));
    assert.ok(!html.includes("target069@example.org"));

    res = await adminClient.get("/admin/audit?before=not-an-id");
    await res.body?.cancel();
    assert.equal(res.status, 400);
  } finally {
    t.close();
  }
});

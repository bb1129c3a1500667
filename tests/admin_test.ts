// Admin account management: who may use it, what each action does, the last-admin guard, and the audit log.

import type { Store, StoreKey, StoreListOptions, StoreSelector } from "../lib/common/store.ts";
import assert from "node:assert/strict";
import { makeTestApp } from "./support/app.ts";
import type { TestApp, TestClient } from "./support/app.ts";
import {
  backfillUserIndexes,
  countUsers,
  createUser,
  createUsers,
  findOtherActiveAdmin,
  getUser,
  getUserByEmail,
  listUsers,
  SEARCH_READ_BUDGET,
  updateUser,
} from "../lib/accounts/users.ts";
import type { User } from "../lib/accounts/users.ts";
import { createSession } from "../lib/accounts/sessions.ts";
import { keys } from "../lib/accounts/keys.ts";
import { listAuditEntries, recordAudit } from "../lib/accounts/audit.ts";
import type { AuditEntry } from "../lib/accounts/audit.ts";
import { changeRole, deleteUserAsAdmin, LastAdmin } from "../lib/accounts/admin.ts";
import { newId } from "../lib/common/ids.ts";
import { hashPassword } from "../lib/accounts/password.ts";

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

async function allAudit(kv: Store): Promise<AuditEntry[]> {
  return (await listAuditEntries(kv, { limit: 500 })).entries;
}

async function sessionCount(kv: Store, userId: string): Promise<number> {
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

Deno.test("account list: table columns, a total, 25 per page with prev/next cursor links", async () => {
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
    const page1 = emailsOn(html);
    assert.equal(page1.length, 25);

    res = await adminClient.get(relLink(html, "next")!);
    html = await res.text();
    assert.ok(html.includes("Showing 26–33 of 33 accounts"), html);
    assert.ok(!html.includes('rel="next"'), "no next link on the last page");
    assert.deepEqual(emailsOn(html), Array.from({ length: 8 }, (_, i) => `member${23 + i}@club.test`));

    // Back to the first page through rel=prev: the same 25 rows.
    res = await adminClient.get(relLink(html, "prev")!);
    html = await res.text();
    assert.ok(html.includes("Showing 1–25 of 33 accounts"));
    assert.deepEqual(emailsOn(html), page1);
    assert.ok(!html.includes('rel="prev"'));
  } finally {
    t.close();
  }
});

Deno.test("account search: email prefix and name words, paged, each account once", async () => {
  const { t, adminClient } = await setup();
  try {
    for (let i = 1; i <= 30; i++) {
      await makeUser(t, `Member ${String(i).padStart(2, "0")}`, `member${String(i).padStart(2, "0")}@club.test`);
    }
    // "member" is both the start of the emails and a name word: still 30 rows, each once, over two pages.
    let res = await adminClient.get("/admin/users?q=Member");
    let html = await res.text();
    assert.ok(html.includes("Showing 1–25 of the accounts matching “Member”"), html);
    const first = emailsOn(html);
    const next = relLink(html, "next")!;
    assert.ok(next.startsWith("/admin/users?q=Member&cursor="), next);
    html = await (await adminClient.get(next)).text();
    assert.ok(html.includes("Showing 26–30 of the accounts matching"));
    assert.ok(!html.includes('rel="next"'));
    const all = [...first, ...emailsOn(html)];
    assert.deepEqual(all, [...all].sort(), "email order");
    assert.equal(new Set(all).size, 30);

    res = await adminClient.get("/admin/users?q=CAROL%20t");
    html = await res.text();
    assert.ok(html.includes("Showing 1–1 of the accounts matching"));
    assert.deepEqual(emailsOn(html), ["carol@example.org"]);
    res = await adminClient.get("/admin/users?q=nobody-has-this");
    assert.ok((await res.text()).includes("No accounts match"));
  } finally {
    t.close();
  }
});

Deno.test("account list: a cursor that is not ours is a 422 field error, never a 500", async () => {
  const { t, adminClient } = await setup();
  try {
    const bad = [
      "not-base64!",
      btoa("{}"),
      encodeURIComponent(btoa(JSON.stringify({ d: "n", s: 0, k: ["../x"], o: 0 }))),
      encodeURIComponent(btoa(JSON.stringify({ d: "n", s: 7, k: ["01HZZZZZZZZZZZZZZZZZZZZZZZ"], o: 0 }))),
      "x".repeat(5000),
    ];
    for (const cursor of bad) {
      const res = await adminClient.get(`/admin/users?cursor=${cursor}`);
      const html = await res.text();
      assert.equal(res.status, 422, cursor);
      assert.ok(html.includes("page link is not valid"), cursor);
    }
    // A cursor from one search does not fit another.
    for (let i = 0; i < 30; i++) await makeUser(t, `Zed ${i}`, `zed${String(i).padStart(2, "0")}@x.test`);
    const next = relLink(await (await adminClient.get("/admin/users?q=zed")).text(), "next")!;
    const res = await adminClient.get(next.replace("q=zed", "q=ada"));
    await res.body?.cancel();
    assert.equal(res.status, 422);
  } finally {
    t.close();
  }
});

Deno.test("ids made in the same millisecond sort in creation order", () => {
  const ids = Array.from({ length: 5000 }, () => newId());
  assert.deepEqual([...ids].sort(), ids);
  assert.equal(new Set(ids).size, ids.length);
  const sameMs = ids.filter((id, i) => i > 0 && id.slice(0, 10) === ids[i - 1].slice(0, 10)).length;
  assert.ok(sameMs > 100, `many ids share a millisecond (${sameMs})`);
});

Deno.test("page 2 of 60 accounts made in one burst is accounts 26–50 in order, every time", async () => {
  for (let round = 0; round < 10; round++) {
    const t = await makeTestApp();
    try {
      const made: User[] = [];
      for (let i = 1; i <= 60; i++) made.push(await makeUser(t, `Person ${i}`, `p${i}@burst.test`));
      const admin = await signedIn(t, made[0]);
      const page1 = await (await admin.get("/admin/users")).text();
      const html = await (await admin.get(relLink(page1, "next")!)).text();
      assert.ok(html.includes("Showing 26–50 of 60 accounts"), `round ${round}`);
      assert.deepEqual(emailsOn(html), made.slice(25, 50).map((u) => u.email), `round ${round}`);
    } finally {
      t.close();
    }
  }
});

/** A KV whose list/get/getMany count what they read. */
function countingKv(kv: Store) {
  const reads = { listed: 0, got: 0 };
  const proxy = new Proxy(kv, {
    get(target, prop) {
      if (prop === "list") {
        return (selector: StoreSelector, options?: StoreListOptions) => {
          const it = target.list(selector, options);
          return {
            get cursor() {
              return it.cursor;
            },
            async next() {
              const r = await it.next();
              if (!r.done) reads.listed++;
              return r;
            },
            [Symbol.asyncIterator]() {
              return this;
            },
          };
        };
      }
      if (prop === "get") {
        return (key: StoreKey) => {
          reads.got++;
          return target.get(key);
        };
      }
      if (prop === "getMany") {
        return (list: StoreKey[]) => {
          reads.got += list.length;
          return target.getMany(list);
        };
      }
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  return { kv: proxy, reads, reset: () => Object.assign(reads, { listed: 0, got: 0 }) };
}

Deno.test("a page reads only its rows: page 2 and a search of 10,000 accounts", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    await createUsers(
      kv,
      Array.from({ length: 10_000 }, (_, i) => ({
        name: `Person ${i} ${["Kim", "Lee", "Ola", "Ana"][i % 4]}`,
        email: `user${String(i).padStart(5, "0")}@many.test`,
        passwordHash: "x",
      })),
    );
    const c = countingKv(kv);
    assert.equal(await countUsers(c.kv), 10_000);
    const page1 = await listUsers(c.kv, { limit: 25 });
    c.reset();
    const page2 = await listUsers(c.kv, { limit: 25, cursor: page1.next! });
    assert.deepEqual(page2.users.map((u) => u.email)[0], "user00025@many.test");
    assert.equal(page2.users.length, 25);
    assert.equal(page2.total, 10_000);
    assert.ok(c.reads.listed <= 26, `listed ${c.reads.listed}`);
    assert.ok(c.reads.got <= 3, `got ${c.reads.got}`);

    c.reset();
    const found = await listUsers(c.kv, { query: "user0700", limit: 25 });
    assert.deepEqual(found.users.map((u) => u.email), Array.from({ length: 10 }, (_, i) => `user0700${i}@many.test`));
    assert.ok(c.reads.listed + c.reads.got <= 30, `search read ${c.reads.listed} + ${c.reads.got}`);

    // Two words, the first with 2,500 candidates: a page reads at most the budget, and following
    // next links finds exactly the matches.
    c.reset();
    let page = await listUsers(c.kv, { query: "ola person", limit: 25 });
    assert.ok(c.reads.listed <= SEARCH_READ_BUDGET + 1, `listed ${c.reads.listed}`);
    let n = page.users.length;
    for (let hops = 0; page.next && hops < 200; hops++) {
      c.reset();
      page = await listUsers(c.kv, { query: "ola person", limit: 25, cursor: page.next });
      assert.ok(c.reads.listed <= SEARCH_READ_BUDGET + 1, `listed ${c.reads.listed}`);
      n += page.users.length;
    }
    assert.equal(n, 2_500);
  } finally {
    kv.close();
  }
});

Deno.test("search stays right after a rename, an email change and a deletion", async () => {
  const { t, admin } = await setup();
  try {
    const jose = await makeUser(t, "José Carlos Carvalho", "jc@example.net");
    const find = async (q: string) => (await listUsers(t.kv, { query: q })).users.map((u) => u.id);
    assert.deepEqual(await find("jose"), [jose.id], "accents folded");
    // Email matches first, then name-word matches; José matches two words but shows once.
    const carol = (await getUserByEmail(t.kv, "carol@example.org"))!;
    assert.deepEqual(await find("car"), [carol.id, jose.id]);
    assert.deepEqual(await find("jc@"), [jose.id]);
    assert.deepEqual(await find("carvalho jc"), [jose.id]);
    assert.deepEqual(await find("carvalho bob"), []);

    await updateUser(t.kv, jose.id, () => ({ name: "Joe Silva", email: "joe@silva.test" }));
    assert.deepEqual(await find("carvalho"), []);
    assert.deepEqual(await find("jc@"), []);
    assert.deepEqual(await find("silva"), [jose.id]);
    assert.deepEqual(await find("joe@s"), [jose.id]);
    assert.equal((await t.kv.get(keys.userByNameWord("carvalho", jose.id))).versionstamp, null, "old word removed");

    await changeRole(t.kv, admin, jose.id, "admin");
    assert.equal((await findOtherActiveAdmin(t.kv, admin.id))?.value.id, jose.id);
    assert.equal(await countUsers(t.kv), 4);
    await deleteUserAsAdmin(t.kv, admin, jose.id);
    assert.deepEqual(await find("silva"), []);
    assert.deepEqual(await find("joe"), []);
    assert.equal(await findOtherActiveAdmin(t.kv, admin.id), null);
    assert.equal(await countUsers(t.kv), 3);
    const left: StoreKey[] = [];
    for await (const e of t.kv.list({ prefix: keys.usersByNameWord() })) if (e.value === jose.id) left.push(e.key);
    assert.deepEqual(left, []);
  } finally {
    t.close();
  }
});

Deno.test("backfill: accounts written before the indexes list, search and count; it runs once", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    // An older install: accounts and the email index only.
    const old: User[] = Array.from({ length: 120 }, (_, i) => ({
      id: newId(),
      name: i === 0 ? "Old Admin" : `Old Member${i}`,
      email: `old${i}@example.org`,
      emailVerified: true,
      passwordHash: "x",
      role: i === 0 ? "admin" : "user",
      disabled: false,
      timeZone: "UTC",
      totpSecret: null,
      createdAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
    }));
    for (const u of old) {
      await kv.atomic().set(keys.user(u.id), u).set(keys.userByEmail(u.email), u.id).commit();
    }
    await kv.set(keys.firstUserMarker(), old[0].id);
    assert.equal(await backfillUserIndexes(kv), 120);
    assert.equal(await backfillUserIndexes(kv), null, "runs once");
    assert.equal(await countUsers(kv), 120);
    assert.deepEqual((await listUsers(kv, { query: "member7" })).users.map((u) => u.name).sort(), [
      "Old Member7",
      "Old Member70",
      "Old Member71",
      "Old Member72",
      "Old Member73",
      "Old Member74",
      "Old Member75",
      "Old Member76",
      "Old Member77",
      "Old Member78",
      "Old Member79",
    ]);
    assert.equal((await findOtherActiveAdmin(kv, "nobody"))?.value.id, old[0].id);
    // Run again without its marker (as a crash before the marker would): the same entries, no doubles.
    let words = 0;
    for await (const _ of kv.list({ prefix: keys.usersByNameWord() })) words++;
    await kv.delete(keys.userIndexesReady());
    assert.equal(await backfillUserIndexes(kv), 120);
    let again = 0;
    for await (const _ of kv.list({ prefix: keys.usersByNameWord() })) again++;
    assert.equal(again, words);
    assert.equal(await countUsers(kv), 120);
    // A new account after the backfill counts on.
    await createUser(kv, { name: "New One", email: "new@example.org", passwordHash: "x" });
    assert.equal(await countUsers(kv), 121);
    assert.equal((await listUsers(kv)).total, 121);
  } finally {
    kv.close();
  }
});

/** Emails in the account table, in page order. */
function emailsOn(html: string): string[] {
  return [...html.matchAll(/<td>([^<>\s]+@[^<>\s]+)<\/td>/g)].map((m) => m[1]);
}

/** The href of the page's rel=next or rel=prev link, or null. */
function relLink(html: string, rel: "next" | "prev"): string | null {
  const m = new RegExp(`<a href="([^"]+)" rel="${rel}"`).exec(html);
  return m ? m[1].replaceAll("&amp;", "&") : null;
}

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
    await changeRole(t.kv, admin, carol.id, "admin");
    const results = await Promise.allSettled([
      changeRole(t.kv, admin, admin.id, "user"),
      changeRole(t.kv, carol, carol.id, "user"),
    ]);
    const refused = results.filter((r) => r.status === "rejected");
    assert.equal(refused.length, 1, "exactly one of the two is refused");
    assert.ok((refused[0] as PromiseRejectedResult).reason instanceof LastAdmin);
    const roles = [(await getUser(t.kv, admin.id))!.role, (await getUser(t.kv, carol.id))!.role];
    assert.equal(roles.filter((r) => r === "admin").length, 1);
    assert.equal((await allAudit(t.kv)).length, 2, "only the changes that happened are audited");
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
    // Details are labelled fields, roles by their names (in German on a German page, i18n_no_english_test).
    assert.ok(html.includes("<dt>New role</dt><dd>admin</dd>"), "the role change's details");
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
    assert.equal(res.status, 422);
    assert.ok((await res.text()).includes("page link is not valid"));
  } finally {
    t.close();
  }
});

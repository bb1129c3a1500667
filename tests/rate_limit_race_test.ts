// Rate limits hold under parallel attempts (issue 12): the attempt is reserved before a password or
// second-factor code is checked, so however many arrive at once no more than the limit (10) are
// evaluated. Every answer is either 422 (evaluated and wrong) or 429 (refused before evaluation).

import assert from "node:assert/strict";
import * as OTPAuth from "otpauth";
import { makeTestApp } from "./support/app.ts";
import type { TestApp } from "./support/app.ts";
import { hashPassword } from "../lib/accounts/password.ts";
import { createUser } from "../lib/accounts/users.ts";
import type { User } from "../lib/accounts/users.ts";
import { createSession } from "../lib/accounts/sessions.ts";
import { enableTwoFactor, newTotpSecret } from "../lib/accounts/totp.ts";
import { createMeeting } from "../lib/meetings/store.ts";
import { ADDRESS_RULE, rateLimitKey } from "../lib/common/rate_limit.ts";

const PASSWORD = "correct horse battery staple";
const LIMIT = 10;

async function makeUser(t: TestApp, email: string): Promise<User> {
  return await createUser(t.kv, { name: "Ada", email, passwordHash: await hashPassword(PASSWORD) });
}

/** Tallies answers by status, reading every body so no response is left open. */
async function statuses(responses: Promise<Response>[]): Promise<Map<number, number>> {
  const tally = new Map<number, number>();
  for (const res of await Promise.all(responses)) {
    await res.body?.cancel();
    tally.set(res.status, (tally.get(res.status) ?? 0) + 1);
  }
  return tally;
}

Deno.test("200 parallel wrong passwords for one account from 200 addresses: at most 10 are evaluated", async () => {
  const t = await makeTestApp({ TRUST_PROXY: "1" });
  try {
    await makeUser(t, "ada@example.org");
    // A new address per try, so only the account's counter can stop them (the case that raced).
    const tally = await statuses(
      Array.from(
        { length: 200 },
        (_, i) =>
          t.client().postForm("/signin", { email: "ada@example.org", password: `wrong guess ${i}` }, {
            "x-forwarded-for": `198.51.100.${i % 250}`,
          }),
      ),
    );
    assert.deepEqual([...tally.keys()].sort(), [422, 429], `answers: ${JSON.stringify([...tally])}`);
    assert.ok(tally.get(422)! <= LIMIT, `${tally.get(422)} wrong passwords were evaluated`);
    assert.equal(tally.get(422)! + tally.get(429)!, 200);
    // The account is now locked for everyone, including with the right password.
    const locked = await t.client().postForm("/signin", { email: "ada@example.org", password: PASSWORD }, {
      "x-forwarded-for": "203.0.113.9",
    });
    await locked.body?.cancel();
    assert.equal(locked.status, 429);
    assert.ok(Number(locked.headers.get("retry-after")) > 0, "Retry-After says when to come back");
  } finally {
    t.close();
  }
});

Deno.test("250 parallel wrong passwords from one address over many accounts: at most the address's limit evaluated", async () => {
  const t = await makeTestApp();
  try {
    const tally = await statuses(
      Array.from(
        { length: 250 },
        (_, i) => t.client().postForm("/signin", { email: `nobody${i}@example.org`, password: "wrong guess" }),
      ),
    );
    assert.ok((tally.get(422) ?? 0) <= ADDRESS_RULE.max, `${tally.get(422)} were evaluated`);
    assert.ok((tally.get(429) ?? 0) >= 250 - ADDRESS_RULE.max, JSON.stringify([...tally]));
    assert.equal((tally.get(422) ?? 0) + (tally.get(429) ?? 0), 250, JSON.stringify([...tally]));
  } finally {
    t.close();
  }
});

Deno.test("a class signing in at once from one address: 40 parallel right passwords all get in", async () => {
  const t = await makeTestApp({ TRUST_PROXY: "1" });
  try {
    const hash = await hashPassword(PASSWORD);
    const emails = Array.from({ length: 40 }, (_, i) => `pupil${i}@example.org`);
    for (const email of emails) await createUser(t.kv, { name: "Pupil", email, passwordHash: hash });
    const tally = await statuses(
      emails.map((email) =>
        t.client().postForm("/signin", { email, password: PASSWORD }, { "x-forwarded-for": "198.51.100.7" })
      ),
    );
    assert.deepEqual([...tally], [[303, 40]]);
    // Every attempt was given back: the school's address has no failures on its counter.
    assert.equal((await t.kv.get(rateLimitKey("signin", "ip:198.51.100.7"))).value, null);
  } finally {
    t.close();
  }
});

Deno.test("a right password gives its attempt back and clears the account's failures (not the address's)", async () => {
  const t = await makeTestApp({ TRUST_PROXY: "1" });
  try {
    await makeUser(t, "ada@example.org");
    const signIn = async (password: string, ip: string) => {
      const res = await t.client().postForm("/signin", { email: "ada@example.org", password }, {
        "x-forwarded-for": ip,
      });
      await res.body?.cancel();
      return res.status;
    };
    // Successes never use up the address's attempts: 15 sign-ins in a row from one address.
    for (let i = 0; i < 15; i++) assert.equal(await signIn(PASSWORD, "192.0.2.1"), 303, `sign-in ${i + 1}`);
    // Nine typos, then the right password: the account's count starts again, so nine more typos
    // (from another address: the first address keeps its nine failures) never lock the account.
    for (const [round, ip] of [[1, "192.0.2.2"], [2, "192.0.2.3"]] as const) {
      for (let i = 0; i < 9; i++) assert.equal(await signIn("typo typo typo", ip), 422, `round ${round} typo ${i + 1}`);
      assert.equal(await signIn(PASSWORD, ip), 303, `round ${round}: the right password still works`);
    }
    // The addresses keep their typos after a success (the account's are cleared).
    const failures = async (subject: string) =>
      ((await t.kv.get<{ count: number }>(rateLimitKey("signin", subject))).value?.count) ?? 0;
    assert.equal(await failures("ip:192.0.2.2"), 9, "the address's failures stay after a success");
    assert.equal(await failures("ip:192.0.2.3"), 9);
    assert.equal(await failures("email:ada@example.org"), 0);
  } finally {
    t.close();
  }
});

Deno.test("60 parallel wrong TOTP codes on one half-signed-in session: at most 10 are evaluated", async () => {
  const t = await makeTestApp();
  try {
    const user = await makeUser(t, "ada@example.org");
    const secret = newTotpSecret();
    await enableTwoFactor(t.kv, user.id, secret);
    const client = t.client();
    client.cookies.set("ts_session", (await createSession(t.kv, user.id, "totp")).token);
    const right = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) }).generate();
    const wrong = (i: number) => {
      const code = String((Number(right) + 1 + i) % 1_000_000).padStart(6, "0");
      return code === right ? "000000" : code;
    };
    const tally = await statuses(
      Array.from({ length: 60 }, (_, i) => client.postForm("/signin/totp", { code: wrong(i) })),
    );
    assert.deepEqual([...tally.keys()].sort(), [422, 429], `answers: ${JSON.stringify([...tally])}`);
    assert.ok(tally.get(422)! <= LIMIT, `${tally.get(422)} wrong codes were evaluated`);
  } finally {
    t.close();
  }
});

Deno.test("60 parallel wrong codes when turning two-factor off: at most 10 are evaluated", async () => {
  const t = await makeTestApp();
  try {
    const user = await makeUser(t, "ada@example.org");
    await enableTwoFactor(t.kv, user.id, newTotpSecret());
    const client = t.client();
    client.cookies.set("ts_session", (await createSession(t.kv, user.id, "full")).token);
    const tally = await statuses(
      Array.from(
        { length: 60 },
        () => client.postForm("/account/totp/disable", { password: PASSWORD, code: "123456" }),
      ),
    );
    assert.ok((tally.get(422) ?? 0) <= LIMIT, `${tally.get(422)} were evaluated: ${JSON.stringify([...tally])}`);
    assert.ok((tally.get(429) ?? 0) >= 50, JSON.stringify([...tally]));
  } finally {
    t.close();
  }
});

Deno.test("60 parallel wrong meeting passcodes from one address: at most 10 are evaluated", async () => {
  const t = await makeTestApp();
  try {
    const host = await makeUser(t, "hana@example.org");
    const meeting = await createMeeting(t.kv, { hostId: host.id, title: "Planning", settings: { lobby: false } });
    const wrong = meeting.passcode === "000000000" ? "111111111" : "000000000";
    const tally = await statuses(
      Array.from(
        { length: 60 },
        () => t.client().postForm("/join", { meetingId: meeting.meetingId, passcode: wrong, name: "Guesser" }),
      ),
    );
    assert.ok((tally.get(422) ?? 0) <= LIMIT, `${tally.get(422)} were evaluated: ${JSON.stringify([...tally])}`);
    assert.equal((tally.get(422) ?? 0) + (tally.get(429) ?? 0), 60, JSON.stringify([...tally]));
  } finally {
    t.close();
  }
});

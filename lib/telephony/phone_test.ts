// resolve's answer names the language the phone menu speaks for the meeting (its host's account
// language), on a real in-memory KV whose reads are counted: once the number was seen, the host's
// account comes in resolve's one getMany, not in a read of its own.

import assert from "node:assert/strict";
import { setQuiet } from "../common/log.ts";
import type { Store } from "../common/store.ts";
import { createUser, setAccountLocale } from "../accounts/users.ts";
import { createMeeting, updateMeeting } from "../meetings/store.ts";
import { resolveDialIn } from "./phone.ts";

setQuiet(true);

/** `kv` with its read round trips counted (a getMany is one). */
function countingReads(kv: Store) {
  const reads = { get: 0, getMany: 0 };
  const store = new Proxy(kv, {
    get(target, prop) {
      if (prop === "get" || prop === "getMany") reads[prop]++;
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  return { store, reads, reset: () => Object.assign(reads, { get: 0, getMany: 0 }) };
}

Deno.test("resolve names the host's language for a found meeting, in one read once the number is known", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const hanna = await createUser(kv, { name: "Hanna", email: "hanna@example.org", passwordHash: "unused" });
    const ana = await createUser(kv, { name: "Ana", email: "ana@example.org", passwordHash: "unused" });
    await setAccountLocale(kv, hanna.id, "de");
    const m = await createMeeting(kv, { hostId: hanna.id, title: "Besprechung", settings: { lobby: false } });
    const { store, reads, reset } = countingReads(kv);
    const r = (passcode: string | null, meetingId = m.meetingId) =>
      resolveDialIn(store, { meetingId, passcode, source: "192.0.2.1" });

    // The first time: the number index with the counters, the record, the host.
    assert.deepEqual((await r(null)).body, { error: "bad-passcode", passcodeRequired: true, locale: "de" });
    assert.deepEqual(reads, { get: 2, getMany: 1 });
    reset();
    // Known now: the passcode prompt's language costs no read of its own.
    assert.deepEqual(await r(null), {
      status: 403,
      body: { error: "bad-passcode", passcodeRequired: true, locale: "de" },
    });
    assert.deepEqual(reads, { get: 0, getMany: 1 });
    assert.deepEqual(await r(m.passcode), {
      status: 200,
      body: { meetingId: m.meetingId, title: "Besprechung", passcodeRequired: true, locale: "de" },
    });
    // No meeting, no language: the gateway speaks its own.
    assert.deepEqual((await r(null, "1999999999")).body, { error: "not-found" });

    // A language change shows at once (the account is read every time, only its id is remembered).
    await setAccountLocale(kv, hanna.id, "es");
    reset();
    assert.equal((await r(null)).body?.locale, "es");
    assert.deepEqual(reads, { get: 0, getMany: 1 });

    // A host transfer: the new host's language; a host without one gives none.
    await updateMeeting(kv, m.id, () => ({ hostId: ana.id }));
    reset();
    assert.deepEqual((await r(null)).body, { error: "bad-passcode", passcodeRequired: true });
    assert.deepEqual(reads, { get: 1, getMany: 1 }, "one more read after the transfer");
    reset();
    await r(null);
    assert.deepEqual(reads, { get: 0, getMany: 1 }, "then one getMany again");
    await setAccountLocale(kv, ana.id, "ar");
    assert.equal((await r(null)).body?.locale, "ar");

    // Refusals about the meeting carry its language too (the locked prompt is spoken in it).
    await updateMeeting(kv, m.id, (cur) => ({ settings: { ...cur.settings, locked: true } }));
    assert.deepEqual(await r(m.passcode), { status: 486, body: { error: "locked", locale: "ar" } });
    // A language this web app does not speak (an old record) is not passed on.
    await setAccountLocale(kv, ana.id, "fr");
    assert.deepEqual((await r(m.passcode)).body, { error: "locked" });
  } finally {
    kv.close();
  }
});

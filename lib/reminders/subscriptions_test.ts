// Push subscriptions: endpoint checks against private hosts, key validation, per-device storage.

import assert from "node:assert/strict";
import {
  deleteSubscription,
  endpointProblem,
  isPrivateAddress,
  isValidP256Point,
  listSubscriptions,
  MAX_DEVICES_PER_PERSON,
  saveSubscription,
  subscriptionId,
  subscriptionSchema,
  TooManyDevices,
} from "./subscriptions.ts";
import type { Resolver } from "./subscriptions.ts";
import { makeSubscriber } from "./testing.ts";
import { encodeBase64Url } from "../common/encoding.ts";

Deno.test("isPrivateAddress: loopback, private, link-local, unique-local and mapped addresses are private", () => {
  const privateOnes = [
    "127.0.0.1",
    "127.8.9.10",
    "0.0.0.0",
    "10.1.2.3",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "224.0.0.1",
    "::1",
    "::",
    "fc00::1",
    "fd12:3456::1",
    "fe80::1",
    "fe80::1%eth0",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "64:ff9b::a00:1",
    "[::1]",
    "not an address",
  ];
  for (const ip of privateOnes) assert.equal(isPrivateAddress(ip), true, `${ip} should be private`);
  const publicOnes = [
    "8.8.8.8",
    "172.32.0.1",
    "172.15.255.255",
    "192.169.0.1",
    "2001:4860:4860::8888",
    "::ffff:8.8.8.8",
  ];
  for (const ip of publicOnes) assert.equal(isPrivateAddress(ip), false, `${ip} should be public`);
});

function stubResolver(table: Record<string, { A?: string[]; AAAA?: string[] }>): Resolver {
  return (host, type) => Promise.resolve(table[host]?.[type] ?? []);
}

Deno.test("outside development, endpoints on loopback, private hosts or names resolving to them are refused", async () => {
  const resolve = stubResolver({
    "push.example.net": { A: ["93.184.216.34"], AAAA: ["2606:2800:220:1::1"] },
    "sneaky.example.net": { A: ["93.184.216.34", "10.0.0.5"] },
    "v6-internal.example.net": { AAAA: ["fd00::5"] },
    "metadata.example.net": { A: ["169.254.169.254"] },
  });
  const prod = { allowPrivate: false, resolve };
  for (
    const endpoint of [
      "https://127.0.0.1/push",
      "https://127.1/push", // the URL parser normalises short forms to 127.0.0.1
      "https://0x7f000001/push",
      "https://[::1]:8443/push",
      "https://[fe80::1]/push",
      "https://[::ffff:192.168.0.1]/push",
      "https://localhost/push",
      "https://api.localhost/push",
      "https://10.0.0.1/push",
      "https://172.20.1.1/push",
      "https://192.168.0.10/push",
      "https://0.0.0.0/push",
      "https://sneaky.example.net/push",
      "https://v6-internal.example.net/push",
      "https://metadata.example.net/push",
    ]
  ) {
    const problem = await endpointProblem(endpoint, prod);
    assert.match(problem ?? "", /private or local/, `${endpoint} was not refused`);
  }
  assert.equal(await endpointProblem("https://push.example.net/send/abc", prod), null);
  assert.match((await endpointProblem("https://nowhere.example.net/x", prod))!, /does not resolve/);
  assert.match((await endpointProblem("http://push.example.net/x", prod))!, /https/);
  assert.match((await endpointProblem("https://u:p@push.example.net/x", prod))!, /user name/);
  const failing: Resolver = () => Promise.reject(new Error("SERVFAIL"));
  assert.match(
    (await endpointProblem("https://push.example.net/x", { allowPrivate: false, resolve: failing }))!,
    /look up/,
  );
  // Development allows a local push service (the end-to-end test runs one), but still only https.
  assert.equal(await endpointProblem("https://127.0.0.1:9443/push", { allowPrivate: true }), null);
  assert.match((await endpointProblem("http://127.0.0.1:9443/push", { allowPrivate: true }))!, /https/);
});

Deno.test("the subscription schema checks endpoint and keys, with a message per field", async () => {
  const sub = (await makeSubscriber()).json("https://push.example.net/abc");
  assert.equal(subscriptionSchema.safeParse(sub).success, true);
  const problems = (input: unknown) => {
    const res = subscriptionSchema.safeParse(input);
    assert.equal(res.success, false);
    return res.error!.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("\n");
  };
  assert.match(
    problems({ ...sub, endpoint: "http://push.example.net/abc" }),
    /endpoint: The endpoint must be an https/,
  );
  assert.match(problems({ ...sub, endpoint: "not a url" }), /endpoint:/);
  assert.match(
    problems({ ...sub, keys: { ...sub.keys, p256dh: sub.keys.p256dh.slice(2) } }),
    /keys.p256dh: .*65 bytes/,
  );
  assert.match(
    problems({ ...sub, keys: { ...sub.keys, auth: encodeBase64Url(new Uint8Array(15)) } }),
    /keys.auth: .*16-byte/,
  );
  assert.match(problems({ ...sub, keys: { ...sub.keys, auth: "not*base64" } }), /keys.auth/);
  assert.match(problems({ endpoint: sub.endpoint }), /keys: Send the subscription's keys/);
  // 65 bytes starting with 0x04 but not on the curve: the shape passes, the point check does not.
  const offCurve = new Uint8Array(65);
  offCurve[0] = 4;
  offCurve[64] = 7;
  assert.equal(isValidP256Point(encodeBase64Url(offCurve)), false);
  assert.equal(isValidP256Point(sub.keys.p256dh), true);
});

Deno.test("subscriptions are stored per device, move between accounts atomically, and are capped", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const a = (await makeSubscriber()).json("https://push.example.net/device-a");
    const first = await saveSubscription(kv, "ada", a, "Firefox on Linux");
    assert.equal(first.created, true);
    assert.equal(first.record.id, await subscriptionId(a.endpoint));
    const again = await saveSubscription(kv, "ada", a, "Firefox on Linux");
    assert.equal(again.created, false, "the same device re-subscribing is not a new device");
    assert.equal(again.record.createdAt, first.record.createdAt);
    assert.deepEqual((await listSubscriptions(kv, "ada")).map((s) => s.endpoint), [a.endpoint]);

    // The same browser signs in as Bob and subscribes: it now belongs to Bob only.
    const moved = await saveSubscription(kv, "bob", a, "Firefox on Linux");
    assert.equal(moved.created, true);
    assert.deepEqual(await listSubscriptions(kv, "ada"), []);
    assert.deepEqual((await listSubscriptions(kv, "bob")).map((s) => s.id), [first.record.id]);
    const index = [];
    for await (const e of kv.list({ prefix: ["push_subscriptions_by_user", "ada"] })) index.push(e.key);
    assert.deepEqual(index, [], "Ada's index still lists the moved device");

    assert.equal(await deleteSubscription(kv, "ada", first.record.id), false, "Ada can delete Bob's device");
    assert.equal(await deleteSubscription(kv, "bob", first.record.id), true);
    assert.equal(await deleteSubscription(kv, "bob", first.record.id), false);
    assert.deepEqual(await listSubscriptions(kv, "bob"), []);

    for (let i = 0; i < MAX_DEVICES_PER_PERSON; i++) {
      await saveSubscription(kv, "cy", (await makeSubscriber()).json(`https://push.example.net/cy-${i}`), "x");
    }
    const extra = (await makeSubscriber()).json("https://push.example.net/cy-extra");
    await assert.rejects(() => saveSubscription(kv, "cy", extra, "x"), TooManyDevices);
    // Re-sending one of the existing devices is still fine at the cap.
    const existing = (await listSubscriptions(kv, "cy"))[0];
    assert.equal((await saveSubscription(kv, "cy", { ...existing, expirationTime: null }, "x")).created, false);
  } finally {
    kv.close();
  }
});

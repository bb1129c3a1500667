// VAPID keys: generated once and shared through KV (also by concurrent first starts), or from env.

import assert from "node:assert/strict";
import { loadConfig } from "../common/config.ts";
import { isUncompressedP256, loadVapidKeys, VapidConfigError, vapidSubject } from "./vapid.ts";
import webpush from "web-push";

const config = loadConfig({ PUBLIC_URL: "https://meet.example.org", KV_PATH: ":memory:" });

Deno.test("concurrent first starts on one KV agree on a single VAPID key pair, kept across restarts", async () => {
  const dir = await Deno.makeTempDir({ prefix: "talkspace-vapid-" });
  const path = `${dir}/kv.sqlite`;
  // Separate handles behave like separate web processes (the in-memory cache is per handle).
  const handles = await Promise.all(Array.from({ length: 6 }, () => Deno.openKv(path)));
  try {
    const pairs = await Promise.all(handles.map((kv) => loadVapidKeys(kv, config, {})));
    assert.equal(new Set(pairs.map((p) => p.publicKey)).size, 1, "processes disagree on the key pair");
    assert.ok(isUncompressedP256(pairs[0].publicKey));
    const later = await Deno.openKv(path);
    try {
      assert.equal((await loadVapidKeys(later, config, {})).privateKey, pairs[0].privateKey, "a restart made new keys");
    } finally {
      later.close();
    }
  } finally {
    for (const kv of handles) kv.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("VAPID keys from the environment win, and half or malformed settings are refused", async () => {
  const pair = webpush.generateVAPIDKeys();
  const kv = await Deno.openKv(":memory:");
  try {
    const keys = await loadVapidKeys(kv, config, {
      VAPID_PUBLIC_KEY: pair.publicKey,
      VAPID_PRIVATE_KEY: pair.privateKey,
    });
    assert.deepEqual([keys.publicKey, keys.privateKey], [pair.publicKey, pair.privateKey]);
    assert.equal((await kv.get(["push", "vapid"])).value, null, "configured keys must not be stored");
  } finally {
    kv.close();
  }
  for (
    const [env, message] of [
      [{ VAPID_PUBLIC_KEY: pair.publicKey }, /both/],
      [{ VAPID_PUBLIC_KEY: "abc", VAPID_PRIVATE_KEY: pair.privateKey }, /VAPID_PUBLIC_KEY/],
      [{ VAPID_PUBLIC_KEY: pair.publicKey, VAPID_PRIVATE_KEY: "abc" }, /VAPID_PRIVATE_KEY/],
      [{ VAPID_SUBJECT: "ftp://x" }, /VAPID_SUBJECT/],
    ] as const
  ) {
    const fresh = await Deno.openKv(":memory:");
    try {
      await assert.rejects(
        () => loadVapidKeys(fresh, config, env),
        (e: Error) => e instanceof VapidConfigError && message.test(e.message),
      );
    } finally {
      fresh.close();
    }
  }
});

Deno.test("the VAPID subject: configured, else the admin address, else the https site, else a mailto:", () => {
  assert.equal(vapidSubject(config, { VAPID_SUBJECT: "mailto:ops@example.org" }), "mailto:ops@example.org");
  const withAdmin = loadConfig({
    PUBLIC_URL: "https://meet.example.org",
    ADMIN_EMAIL: "Admin@Example.org",
    KV_PATH: ":memory:",
  });
  assert.equal(vapidSubject(withAdmin, {}), "mailto:admin@example.org");
  assert.equal(vapidSubject(config, {}), "https://meet.example.org");
  const local = loadConfig({ PUBLIC_URL: "http://localhost:8000", KV_PATH: ":memory:" });
  assert.equal(vapidSubject(local, {}), "mailto:no-reply@localhost");
});

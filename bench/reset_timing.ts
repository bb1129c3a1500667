// POST /reset for an existing account vs an unknown address, side by side in one run (issue 12: the
// known path took 8–10 ms against 2–3 ms while it mailed inline). 50 of each, interleaved, each for a
// different account and client address (so no rate limit answers), through the real app in-process
// on an in-memory KV, with the queue listener delivering the mail as main.ts does.
// Prints both medians and known ÷ unknown (goal: ≤ 1.25, i.e. indistinguishable within noise).

import { loadConfig } from "../lib/common/config.ts";
import { loadSigningKey } from "../lib/common/server_secret.ts";
import { createWebApp } from "../routes/mod.ts";
import { createUsers } from "../lib/accounts/users.ts";
import { hashPassword } from "../lib/accounts/password.ts";
import { accountMailHandler } from "../lib/accounts/emails.ts";
import type { Mailer, MailMessage } from "../lib/email/mailer.ts";
import { setQuiet } from "../lib/common/log.ts";

setQuiet(true);
const N = Number(Deno.env.get("BENCH_RUNS") ?? 50);
const config = loadConfig({
  TALKSPACE_ENV: "test",
  PUBLIC_URL: "http://localhost:8000",
  KV_PATH: ":memory:",
  TRUST_PROXY: "1",
});
const kv = await Deno.openKv(":memory:");
const sent: MailMessage[] = [];
const mailer: Mailer = { send: (m) => Promise.resolve(void sent.push(m)) };
const app = createWebApp({ kv, config, mailer, signingKey: await loadSigningKey(kv, ""), gateway: null });
const deliver = accountMailHandler(mailer);
const listening = kv.listenQueue(async (m) => void await deliver(m));
const passwordHash = await hashPassword("correct horse battery");
await createUsers(
  kv,
  Array.from({ length: N }, (_, i) => ({ name: `P${i}`, email: `known${i}@example.org`, passwordHash })),
);

async function post(email: string, ip: string): Promise<number> {
  const body = new URLSearchParams({ email }).toString();
  const t0 = performance.now();
  const res = await app.request("http://localhost:8000/reset", {
    method: "POST",
    body,
    headers: {
      origin: "http://localhost:8000",
      "content-type": "application/x-www-form-urlencoded",
      "x-forwarded-for": ip,
    },
  });
  await res.body?.cancel();
  const ms = performance.now() - t0;
  if (res.status !== 303) throw new Error(`POST /reset answered ${res.status}`);
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
// Warm-up (JIT, first KV writes) on addresses not measured.
for (let i = 0; i < 10; i++) await post(`warm${i}@example.org`, `192.0.2.${i}`);
const known: number[] = [];
const unknown: number[] = [];
const deadline = Date.now() + 60_000;
for (let i = 0; i < N && Date.now() < deadline; i++) {
  known.push(await post(`known${i}@example.org`, `198.51.${Math.floor(i / 200)}.${i % 200}`));
  unknown.push(await post(`nobody${i}@example.org`, `203.0.${Math.floor(i / 200)}.${i % 200}`));
}
const k = median(known);
const u = median(unknown);
console.log(`POST /reset, ${known.length} each, interleaved (median ms)`);
console.log(`  existing account : ${k.toFixed(2)}`);
console.log(`  unknown address  : ${u.toFixed(2)}`);
console.log(`  existing ÷ unknown: ${(k / u).toFixed(2)} (goal ≤ 1.25)`);
kv.close();
await listening.catch(() => {});
console.log(`  reset emails delivered by the queue before close: ${sent.length}`);

// What the gateway → web "resolve" round trip (POST /internal/sip/resolve, signed) is made of,
// measured side by side in one run against the real web app on loopback:
//
//   deno run -A bench/support/sip_resolve.ts
//
// rows, alternating per sample: plain GET /healthz (the HTTP floor), a signed POST to an internal
// path that does not exist (HTTP + signature checks + routing, no KV), the real resolve through
// gateway/web_client.ts (its kept-alive HTTP/1.1 connection) and the same client made to use fetch
// (as it did before), signing alone, and resolveDialIn straight on the same KV file.
// Options: BENCH_N (200). Stops the web app it starts.

import { setQuiet } from "../../lib/common/log.ts";
import { createUser } from "../../lib/accounts/users.ts";
import { createMeeting } from "../../lib/meetings/store.ts";
import { resolveDialIn } from "../../lib/telephony/phone.ts";
import { signedHeaders } from "../../lib/common/signing.ts";
import { createWebClient } from "../../gateway/web_client.ts";
import { startServer } from "../../tests/support/server.ts";
import { median, percentile, positiveInt, printTable } from "./common.ts";

setQuiet(true);
const N = positiveInt("BENCH_N", 200);
const secret = crypto.randomUUID();
const web = await startServer({ GATEWAY_SECRET: secret, GATEWAY_URL: "http://127.0.0.1:9", TALKSPACE_LOG: "quiet" });
const kv = await Deno.openKv(`${web.dataDir}/talkspace.kv`);
try {
  const host = await createUser(kv, { name: "Host", email: "h@example.org", passwordHash: "unused" });
  const m = await createMeeting(kv, { hostId: host.id, title: "Resolve", settings: { lobby: false } });
  const base = web.url.replace("localhost", "127.0.0.1");
  const client = createWebClient({ url: base, secret });
  const viaFetch = createWebClient({ url: base, secret, fetch: (input, init) => fetch(input, init) });
  const rows: Record<string, number[]> = {
    healthz: [],
    signed404: [],
    resolve: [],
    resolveFetch: [],
    sign: [],
    kvOnly: [],
  };
  const time = async (name: string, f: () => Promise<unknown> | unknown) => {
    const t = performance.now();
    await f();
    rows[name].push(performance.now() - t);
  };
  for (let i = -20; i < N; i++) {
    const keep = i >= 0;
    const r = { ...rows };
    if (!keep) { for (const k of Object.keys(r)) rows[k] = []; }
    await time("healthz", async () => await (await fetch(`${base}/healthz`)).text());
    await time("signed404", async () => {
      const body = "{}";
      const path = "/internal/sip/none";
      const res = await fetch(`${base}${path}`, {
        method: "POST",
        headers: { ...signedHeaders(secret, "POST", path, body), "content-type": "application/json" },
        body,
      });
      await res.text();
    });
    await time("resolve", async () => {
      const res = await client.resolve(m.meetingId, m.passcode, "127.0.0.1:5062:+1555");
      if (!res.ok) throw new Error(`resolve answered ${res.status}`);
    });
    await time("resolveFetch", async () => {
      const res = await viaFetch.resolve(m.meetingId, m.passcode, "127.0.0.1:5062:+1555");
      if (!res.ok) throw new Error(`resolve answered ${res.status}`);
    });
    await time("sign", () => signedHeaders(secret, "POST", "/internal/sip/resolve", JSON.stringify({ a: 1 })));
    await time(
      "kvOnly",
      () => resolveDialIn(kv, { meetingId: m.meetingId, passcode: m.passcode, source: "127.0.0.1" }),
    );
    if (!keep) Object.assign(rows, r);
  }
  const f = (x: number) => x.toFixed(3);
  printTable(["ms", "median", "p95"], Object.entries(rows).map(([k, xs]) => [k, f(median(xs)), f(percentile(xs, 95))]));
  console.log(`resolve ÷ healthz (median): ${(median(rows.resolve) / median(rows.healthz)).toFixed(2)}`);
  console.log(
    `resolve ÷ resolve over fetch (median): ${(median(rows.resolve) / median(rows.resolveFetch)).toFixed(2)}`,
  );
} finally {
  kv.close();
  await web.stop();
  await Deno.remove(web.dataDir, { recursive: true }).catch(() => {});
}

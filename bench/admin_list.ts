// Admin account list benchmark: page 2 and two searches through the real route (in-process
// `app.request`), on a KV file with 100 accounts and one with 10,000, timed side by side in one run.
// Cursor pages and index searches should cost the same at both sizes: the goal is 10,000 ÷ 100 ≤ 1.5.
//
// Options (environment): BENCH_REPS per case and size (default 200), BENCH_STRICT=1 to exit 1 above
// the goal. Starts no processes; the temporary KV files are removed on exit, failure or Ctrl-C.

import { Cleanup, median, percentile, positiveInt, printTable } from "./support/common.ts";
import { loadConfig } from "../lib/common/config.ts";
import { createWebApp } from "../routes/mod.ts";
import type { Mailer } from "../lib/email/mailer.ts";
import { loadSigningKey } from "../lib/common/server_secret.ts";
import { setQuiet } from "../lib/common/log.ts";
import { createUser, createUsers } from "../lib/accounts/users.ts";
import { createSession } from "../lib/accounts/sessions.ts";

const GOAL = 1.5;
const REPS = positiveInt("BENCH_REPS", 200);
const SIZES = [100, 10_000];
const CASES = [
  { name: "page 2 of everyone", path: "page2" },
  { name: "search email prefix “user0004”", path: "/admin/users?q=user0004" },
  { name: "search name word “kim”", path: "/admin/users?q=kim" },
];

setQuiet(true);
const cleanup = new Cleanup();
cleanup.install(300_000);

const noMail: Mailer = { send: () => Promise.resolve() };

interface Site {
  size: number;
  request(path: string): Promise<Response>;
  page2: string;
}

/** A KV file with `size` accounts (the admin plus size − 1 written in atomic batches), and the app on it. */
async function makeSite(dir: string, size: number): Promise<Site> {
  const path = `${dir}/accounts-${size}.kv`;
  const kv = await Deno.openKv(path);
  cleanup.add(`close ${path}`, () => kv.close());
  const admin = await createUser(kv, { name: "Ada Admin", email: "admin@bench.test", passwordHash: "x" });
  const names = ["Kim", "Lee", "Ola", "Ana"];
  await createUsers(
    kv,
    Array.from({ length: size - 1 }, (_, i) => ({
      name: `Person ${i} ${names[i % 4]}`,
      email: `user${String(i).padStart(5, "0")}@bench.test`,
      passwordHash: "x",
    })),
  );
  const config = loadConfig({ TALKSPACE_ENV: "test", PUBLIC_URL: "http://localhost:8000", KV_PATH: path });
  const app = createWebApp({ kv, config, mailer: noMail, signingKey: await loadSigningKey(kv, ""), gateway: null });
  const { token } = await createSession(kv, admin.id, "full");
  const request = (p: string) =>
    Promise.resolve(app.request(`http://localhost:8000${p}`, { headers: { cookie: `ts_session=${token}` } }));
  const first = await (await request("/admin/users")).text();
  const next = /<a href="([^"]+)" rel="next"/.exec(first)?.[1]?.replaceAll("&amp;", "&");
  if (!next) throw new Error(`no next link on the first page of ${size} accounts`);
  return { size, request, page2: next };
}

/** One timed request; the body is read in full and must be a 200 page with rows. */
async function timed(site: Site, path: string): Promise<number> {
  const t0 = performance.now();
  const res = await site.request(path);
  const html = await res.text();
  const ms = performance.now() - t0;
  if (res.status !== 200 || !html.includes("<tbody>")) {
    throw new Error(`${path} on ${site.size} accounts answered ${res.status} without rows`);
  }
  return ms;
}

try {
  const dir = await Deno.makeTempDir({ prefix: "talkspace-bench-admin-" });
  cleanup.add(`remove ${dir}`, () => Deno.remove(dir, { recursive: true }));
  const sites: Site[] = [];
  for (const size of SIZES) {
    const t0 = performance.now();
    sites.push(await makeSite(dir, size));
    console.log(`seeded ${size.toLocaleString("en-US")} accounts in ${Math.round(performance.now() - t0)} ms`);
  }
  const times = sites.map(() => CASES.map(() => [] as number[]));
  // Warm-up, then the cases and sizes interleaved so drift on a shared machine hits both alike.
  for (const site of sites) for (const c of CASES) await timed(site, c.path === "page2" ? site.page2 : c.path);
  for (let rep = 0; rep < REPS; rep++) {
    for (const [ci, c] of CASES.entries()) {
      for (const [si, site] of sites.entries()) {
        times[si][ci].push(await timed(site, c.path === "page2" ? site.page2 : c.path));
      }
    }
  }
  const fmt = (ms: number) => ms.toFixed(2);
  let worst = 0;
  const rows = CASES.map((c, ci) => {
    const [small, large] = [times[0][ci], times[1][ci]];
    const ratio = median(large) / median(small);
    worst = Math.max(worst, ratio);
    return [
      c.name,
      fmt(median(small)),
      fmt(percentile(small, 95)),
      fmt(median(large)),
      fmt(percentile(large, 95)),
      ratio.toFixed(2),
    ];
  });
  console.log(`\n${REPS} requests per case and size (ms, through GET /admin/users in-process)\n`);
  printTable(["case", "100 median", "100 p95", "10,000 median", "10,000 p95", "10,000 ÷ 100"], rows);
  console.log(`\nworst ratio of medians ${worst.toFixed(2)} (goal ≤ ${GOAL}): ${worst <= GOAL ? "met" : "MISSED"}`);
  await cleanup.run();
  if (worst > GOAL && Deno.env.get("BENCH_STRICT") === "1") Deno.exit(1);
} catch (err) {
  console.error(`bench: ${err instanceof Error ? err.stack : err}`);
  await cleanup.run();
  Deno.exit(1);
}

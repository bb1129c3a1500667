// The island build: hashed entries, manifest, stale output removed, and the routes serving it.

import assert from "node:assert/strict";
import { Hono } from "hono";
import { buildIslands } from "./build.ts";
import { loadManifest } from "./manifest.ts";
import { createIslandAssetRoutes } from "../../routes/islands.ts";

const outDir = await Deno.makeTempDir({ prefix: "talkspace-islands-build-" });

Deno.test("the build writes hashed bundles for the runtime and each island, and a manifest", async () => {
  await Deno.writeTextFile(`${outDir}/CopyButton-000000000000.js`, "stale");
  await Deno.mkdir(`${outDir}/old-dir`);
  const result = await buildIslands({ outDir });
  const manifest = loadManifest(outDir);
  assert.deepEqual(manifest, result.manifest);
  assert.match(manifest.runtime, /^runtime-[0-9a-f]{12}\.js$/);
  assert.match(manifest.islands.CopyButton, /^CopyButton-[0-9a-f]{12}\.js$/);
  assert.ok(manifest.chunks.length >= 1, "preact is split into a shared chunk");

  const names = new Set<string>();
  for await (const e of Deno.readDir(outDir)) names.add(e.name);
  const expected = new Set(["manifest.json", manifest.runtime, ...Object.values(manifest.islands), ...manifest.chunks]);
  assert.deepEqual(names, expected, "stale files are gone and nothing else is left");

  // The runtime exports boot, the island a default export, and both share the preact chunk.
  const runtime = await Deno.readTextFile(`${outDir}/${manifest.runtime}`);
  assert.match(runtime, /export\s*\{[^}]*as boot\}/);
  const island = await Deno.readTextFile(`${outDir}/${manifest.islands.CopyButton}`);
  assert.match(island, /as default\}/);
  const shared = manifest.imports[manifest.runtime].filter((f) =>
    manifest.imports[manifest.islands.CopyButton].includes(f)
  );
  assert.ok(shared.length >= 1, "runtime and island import a common chunk");
  assert.ok(!runtime.includes("\n//"), "minified");

  // Content hashes: a rebuild of the same sources gives the same names.
  const again = await buildIslands({ outDir });
  assert.deepEqual(again.manifest, manifest);
  // Keeps the meeting page's JS budget honest: the runtime plus this island is small.
  assert.ok(
    result.gzipPerIsland.CopyButton < 12_000,
    `runtime + CopyButton is ${result.gzipPerIsland.CopyButton} B gzip`,
  );
  // The meeting page's budget is 150 KB gzip with janus.js (bench/page_weight.ts measures the page);
  // a server module imported at runtime by the client (zod came in once through protocol.ts) blows it.
  assert.ok(
    result.gzipPerIsland.MeetingRoom < 100_000,
    `runtime + MeetingRoom is ${result.gzipPerIsland.MeetingRoom} B gzip`,
  );
});

Deno.test("/_islands serves manifest files as immutable JavaScript and nothing else", async () => {
  const manifest = loadManifest(outDir);
  const app = new Hono().route("/", createIslandAssetRoutes(outDir));
  const res = await app.request(`/_islands/${manifest.islands.CopyButton}`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "text/javascript; charset=utf-8");
  assert.equal(res.headers.get("cache-control"), "public, max-age=31536000, immutable");
  assert.equal(await res.text(), await Deno.readTextFile(`${outDir}/${manifest.islands.CopyButton}`));

  await Deno.writeTextFile(`${outDir}/extra.js`, "not in the manifest");
  for (
    const path of [
      "/_islands/manifest.json",
      "/_islands/extra.js",
      "/_islands/nope-123.js",
      "/_islands/..%2Fmanifest.json",
      "/_islands/%2E%2E%2F%2E%2E%2Fdeno.json",
      "/_islands/../../deno.json",
      "/_islands/",
    ]
  ) {
    const r = await app.request(path);
    assert.equal(r.status, 404, path);
    await r.body?.cancel();
  }
  await Deno.remove(`${outDir}/extra.js`);
});

Deno.test("/_islands answers 404 when nothing was built", async () => {
  const app = new Hono().route("/", createIslandAssetRoutes(`${outDir}/never-built`));
  const r = await app.request("/_islands/runtime-0123456789ab.js");
  assert.equal(r.status, 404);
  await r.body?.cancel();
});

Deno.test("cleanup: remove the build directory", async () => {
  await Deno.remove(outDir, { recursive: true });
});

// The island build: hashed entries, brotli and gzip siblings, manifest, stale output removed, the
// janus.js chunk loaded only after joining, the meeting island's catalog chunk per language, and the
// routes serving it all.

import assert from "node:assert/strict";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { Hono } from "hono";
import "../../../islands/mod.ts";
import { buildIslands, verifiedIslands } from "./build.ts";
import { catalogFiles, loadManifest } from "./manifest.ts";
import { CATALOGS, compiledCatalog } from "../../i18n/translate.ts";
import { LOCALES } from "../../i18n/locales.ts";
import { createIslandAssetRoutes } from "../../../routes/_islands.ts";

const outDir = await Deno.makeTempDir({ prefix: "talkspace-islands-build-" });

Deno.test("the build writes hashed bundles for the runtime and each island, and a manifest", async () => {
  await Deno.writeTextFile(`${outDir}/CopyButton-000000000000.js`, "stale");
  await Deno.mkdir(`${outDir}/old-dir`);
  const result = await buildIslands({ outDir, islands: await verifiedIslands() });
  const manifest = loadManifest(outDir);
  assert.deepEqual(manifest, result.manifest);
  assert.match(manifest.runtime, /^runtime-[0-9a-f]{12}\.js$/);
  assert.match(manifest.islands.CopyButton, /^CopyButton-[0-9a-f]{12}\.js$/);
  assert.ok(manifest.chunks.length >= 1, "preact is split into a shared chunk");

  const names = new Set<string>();
  for await (const e of Deno.readDir(outDir)) names.add(e.name);
  const bundles = [manifest.runtime, ...Object.values(manifest.islands), ...manifest.chunks, ...catalogFiles(manifest)];
  const expected = new Set(["manifest.json", ...bundles.flatMap((f) => [f, `${f}.br`, `${f}.gz`])]);
  assert.deepEqual(names, expected, "stale files are gone and nothing else is left");
  // Each coding holds exactly the bundle's bytes, and is smaller.
  for (const f of bundles) {
    const raw = await Deno.readFile(`${outDir}/${f}`);
    const br = await Deno.readFile(`${outDir}/${f}.br`);
    const gz = await Deno.readFile(`${outDir}/${f}.gz`);
    assert.deepEqual(new Uint8Array(brotliDecompressSync(br)), raw, `${f}.br`);
    assert.deepEqual(new Uint8Array(gunzipSync(gz)), raw, `${f}.gz`);
    assert.ok(br.length < raw.length && gz.length < raw.length, f);
  }

  // janus.js (with webrtc-adapter) is a lazily imported chunk: in the manifest (so it is served),
  // imported by nothing statically (so no page preloads it), and not inside the island itself.
  const janus: string[] = [];
  for (const f of bundles) if ((await Deno.readTextFile(`${outDir}/${f}`)).includes("janus-protocol")) janus.push(f);
  assert.equal(janus.length, 1, `one file holds janus.js: ${janus}`);
  assert.ok(manifest.chunks.includes(janus[0]));
  assert.ok(!Object.values(manifest.imports).some((deps) => deps.includes(janus[0])), "nothing preloads janus.js");
  const room = await Deno.readTextFile(`${outDir}/${manifest.islands.MeetingRoom}`);
  assert.ok(room.includes(`import("./${janus[0]}")`), "the meeting island imports it on join");

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
  const again = await buildIslands({ outDir, islands: await verifiedIslands() });
  assert.deepEqual(again.manifest, manifest);
  // Keeps the meeting page's JS budget honest: the runtime plus this island is small.
  assert.ok(
    result.gzipPerIsland.CopyButton < 12_000,
    `runtime + CopyButton is ${result.gzipPerIsland.CopyButton} B gzip`,
  );
  // The meeting page's budget is 60 KB on the wire for HTML, CSS and JS (bench/page_weight.ts);
  // a server module imported at runtime by the client (zod came in once through protocol.ts), or
  // janus.js back in the island, blows it.
  assert.ok(
    result.brPerIsland.MeetingRoom < 40_000,
    `runtime + MeetingRoom is ${result.brPerIsland.MeetingRoom} B brotli`,
  );
});

Deno.test("each language's catalog chunk holds every room.* and copy.* message, compiled, and nothing else", async () => {
  const manifest = loadManifest(outDir);
  assert.deepEqual(Object.keys(manifest.catalogs ?? {}), ["MeetingRoom"], "only the meeting island has one");
  const chunks = manifest.catalogs!.MeetingRoom;
  assert.deepEqual(Object.keys(chunks).sort(), [...LOCALES].sort());
  const wanted = Object.keys(CATALOGS.en).filter((k) => k.startsWith("room.") || k.startsWith("copy.")).sort();
  assert.ok(wanted.length > 250, `${wanted.length} room.* messages`);
  for (const locale of LOCALES) {
    assert.match(chunks[locale], new RegExp(`^MeetingRoom-${locale}-[0-9a-f]{12}\\.js$`));
    const { default: messages } = await import(`file://${outDir}/${chunks[locale]}`);
    assert.deepEqual(Object.keys(messages).sort(), wanted, `${locale}: every key of the island, no other`);
    const compiled = compiledCatalog(locale);
    // As JSON carries them (props did the same before): compiled plurals hold undefined members.
    for (const key of wanted) {
      assert.deepEqual(messages[key], JSON.parse(JSON.stringify(compiled[key])), `${locale} ${key}`);
    }
    assert.deepEqual(manifest.imports[chunks[locale]], [], "data only: it imports nothing");
  }
  assert.notDeepEqual(
    (await import(`file://${outDir}/${chunks.de}`)).default["room.joinNow"],
    (await import(`file://${outDir}/${chunks.en}`)).default["room.joinNow"],
    "each language's own words",
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
  assert.equal(res.headers.get("content-encoding"), null, "no Accept-Encoding: identity");

  // A browser's Accept-Encoding gets the brotli sibling, byte for byte, with its own ETag.
  const room = `/_islands/${manifest.islands.MeetingRoom}`;
  const raw = await Deno.readFile(`${outDir}/${manifest.islands.MeetingRoom}`);
  const br = await app.request(room, { headers: { "accept-encoding": "gzip, deflate, br, zstd" } });
  assert.equal(br.headers.get("content-encoding"), "br");
  assert.equal(br.headers.get("vary"), "Accept-Encoding");
  assert.equal(br.headers.get("cache-control"), "public, max-age=31536000, immutable");
  const brBody = new Uint8Array(await br.arrayBuffer());
  assert.equal(br.headers.get("content-length"), String(brBody.length));
  assert.deepEqual(new Uint8Array(brotliDecompressSync(brBody)), raw);
  const gz = await app.request(room, { headers: { "accept-encoding": "gzip, br;q=0" } });
  assert.equal(gz.headers.get("content-encoding"), "gzip");
  assert.deepEqual(new Uint8Array(gunzipSync(new Uint8Array(await gz.arrayBuffer()))), raw);
  assert.notEqual(gz.headers.get("etag"), br.headers.get("etag"), "an ETag per coding");
  const again = await app.request(room, {
    headers: { "accept-encoding": "br", "if-none-match": br.headers.get("etag")! },
  });
  assert.equal(again.status, 304);
  await again.body?.cancel();

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

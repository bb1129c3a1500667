// routes/ mirrors URLs: every path a route module registers lives in the file its URL names.
// A file's prefix comes from its path (`account/totp.tsx` → /account/totp, `index` → its folder,
// `[meetingId]` → :meetingId, `_name` → its folder), and each registered path must be claimed by
// the file with the longest matching prefix — so `/signin/totp` cannot hide in routes/index.tsx.
// Also: every exported module is mounted by routes/mod.ts, and nothing else is.

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { relative } from "node:path";
import { Hono } from "hono";
import type { Env } from "../lib/web/types.ts";

const ROUTES_DIR = fileURLToPath(new URL("../routes/", import.meta.url));

/** Files whose name cannot say their URLs, as the brief for this layout fixed them. */
const EXPLICIT_PREFIXES: Record<string, string[]> = {
  // Island bundles and static assets: two prefixes, one asset pipeline.
  "_islands.ts": ["/_islands", "/static"],
  // The meeting's socket (`/ws`) and media access (`/media`), kept apart from its pages.
  "meetings/[meetingId]/socket.ts": ["/meetings/:meetingId/ws", "/meetings/:meetingId/media"],
  // `/admin` only redirects to the account list, and guards every /admin page.
  "admin/users.tsx": ["/admin/users", "/admin"],
};

function prefixesOf(file: string): string[] {
  if (EXPLICIT_PREFIXES[file]) return EXPLICIT_PREFIXES[file];
  const parts = file.replace(/\.(tsx?|jsx?)$/, "").split("/");
  const last = parts.at(-1)!;
  if (last === "index" || last.startsWith("_")) parts.pop();
  const url = "/" + parts.map((p) => p.replace(/^\[(\w+)\]$/, ":$1")).join("/");
  return [url === "/" ? "/" : url];
}

/** True when `path` is `prefix` itself, below it, or the same name with an extension (`/sw.js`). */
function within(path: string, prefix: string): boolean {
  if (prefix === "/") return true;
  return path === prefix || path.startsWith(prefix + "/") || path.startsWith(prefix + ".");
}

async function routeFiles(dir = ROUTES_DIR): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const full = `${dir}${e.name}`;
    if (e.isDirectory) out.push(...await routeFiles(`${full}/`));
    else if (/\.(tsx?)$/.test(e.name) && !/_test\.tsx?$/.test(e.name)) out.push(relative(ROUTES_DIR, full));
  }
  return out.sort();
}

interface Module {
  file: string;
  apps: Hono<Env>[];
}

async function loadModules(): Promise<Module[]> {
  const modules: Module[] = [];
  for (const file of await routeFiles()) {
    if (file === "mod.ts") continue;
    const mod = await import(new URL(`../routes/${file}`, import.meta.url).href);
    const apps = Object.values(mod).filter((v): v is Hono<Env> => v instanceof Hono);
    modules.push({ file, apps });
  }
  return modules;
}

Deno.test("every route module registers only paths under the URL its file path names", async () => {
  const modules = await loadModules();
  assert(modules.length > 20, `found only ${modules.length} route modules`);
  const claims = modules.flatMap((m) => prefixesOf(m.file).map((prefix) => ({ prefix, file: m.file })));
  const misplaced: string[] = [];
  for (const m of modules) {
    assert(m.apps.length > 0, `routes/${m.file} exports no Hono app`);
    for (const app of m.apps) {
      for (const r of app.routes) {
        const owners = claims.filter((c) => within(r.path, c.prefix));
        const longest = Math.max(...owners.map((o) => o.prefix.length));
        const best = owners.filter((o) => o.prefix.length === longest).map((o) => o.file);
        if (!best.includes(m.file)) {
          misplaced.push(`${r.method} ${r.path} is in routes/${m.file}, its URL names routes/${best.join(" or ")}`);
        }
      }
    }
  }
  assert.deepEqual(misplaced, []);
});

Deno.test("routes/mod.ts mounts every route module's app, once", async () => {
  const { routes } = await import("../routes/mod.ts");
  const modules = await loadModules();
  const exported = modules.flatMap((m) => m.apps.map((app) => ({ app, file: m.file })));
  const unmounted = exported.filter((e) => !routes.includes(e.app)).map((e) => `routes/${e.file}`);
  assert.deepEqual(unmounted, []);
  assert.deepEqual(new Set(routes).size, routes.length, "an app is mounted twice");
  assert.deepEqual(routes.length, exported.length, "mod.ts mounts something that is not a route module's app");
});

Deno.test("the layout rule itself: prefixes from file paths", () => {
  assert.deepEqual(prefixesOf("index.tsx"), ["/"]);
  assert.deepEqual(prefixesOf("account/index.tsx"), ["/account"]);
  assert.deepEqual(prefixesOf("m/[meetingId].tsx"), ["/m/:meetingId"]);
  assert.deepEqual(prefixesOf("api/v1/_middleware.ts"), ["/api/v1"]);
  assert(within("/sw.js", "/sw"));
  assert(within("/account/totp/confirm", "/account/totp"));
  assert(!within("/accounts", "/account"));
});

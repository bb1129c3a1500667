// Server-side rendering with islands: renders the page, then writes one boot script that imports
// the runtime and the islands that actually rendered, with only their props, and the catalog chunk
// of the page's language for an island that has one (modulepreloaded with the rest, so it costs no
// round trip of its own, and imported before boot runs, so the island never shows untranslated text).

import type { VNode } from "preact";
import { renderToString } from "preact-render-to-string";
import { collectIslands } from "./island.ts";
import { IslandBuildMissing, ISLANDS_URL_PREFIX, loadManifest } from "./manifest.ts";
import type { IslandManifest } from "./manifest.ts";
import { scriptSafeJson } from "./serialize.ts";

export interface RenderedPage {
  /** The body HTML. */
  html: string;
  /** The boot `<script type="module" nonce=…>` for the islands on the page, or "" when none rendered. */
  script: string;
}

export interface RenderOptions {
  /** The response's CSP nonce. */
  nonce: string;
  /** Where the built bundles are; the repository's `_build/islands` by default. */
  buildDir?: string;
}

/**
 * Renders `vnode` to HTML. When islands rendered, `script` is a module script (with the nonce) that
 * hydrates them; otherwise it is "" and the page ships no JavaScript. Throws IslandBuildMissing
 * when islands rendered but the bundles were never built.
 */
export function renderWithIslands(vnode: VNode, opts: RenderOptions): RenderedPage {
  const { result: html, collector } = collectIslands(() => renderToString(vnode));
  if (collector.names.length === 0) return { html, script: "" };
  const manifest = loadManifest(opts.buildDir);
  const locals = new Map<string, string>();
  const entries = [manifest.runtime];
  for (const name of collector.names) {
    if (locals.has(name)) continue;
    const file = manifest.islands[name];
    if (!file) throw new Error(`island "${name}" is not in the bundle manifest: rebuild with \`deno task build\``);
    locals.set(name, `i${locals.size}`);
    entries.push(file);
  }
  const catalogs = [...collector.catalogs].map(([name, locale], i) => {
    const file = manifest.catalogs?.[name]?.[locale];
    if (!file) throw new IslandBuildMissing(`The build has no ${locale} catalog chunk for island "${name}".`);
    return { name, file, local: `m${i}` };
  });
  const nonce = escapeAttr(opts.nonce);
  const preloads = [...sharedImports(manifest, entries), ...catalogs.map((c) => c.file)]
    .map((f) => `<link rel="modulepreload" href="${ISLANDS_URL_PREFIX}${f}" nonce="${nonce}">`)
    .join("");
  const imports = [
    ...[...locals].map(([name, local]) => `import ${local} from"${url(manifest.islands[name])}";`),
    ...catalogs.map((c) => `import ${c.local} from"${url(c.file)}";`),
  ];
  const components = [...locals].map(([name, local]) => `${name}:${local}`).join(",");
  const messages = catalogs.length ? `,{${catalogs.map((c) => `${c.name}:${c.local}`).join(",")}}` : "";
  const code = `import{boot}from"${url(manifest.runtime)}";${imports.join("")}boot({${components}},${
    scriptSafeJson(collector.payload)
  }${messages})`;
  return { html, script: `${preloads}<script type="module" nonce="${nonce}">${code}</script>` };
}

function url(file: string): string {
  return ISLANDS_URL_PREFIX + file;
}

/** Chunks the entries import (transitively), so the browser fetches them without a waterfall. */
function sharedImports(manifest: IslandManifest, entries: string[]): string[] {
  const out = new Set<string>();
  const visit = (file: string) => {
    for (const dep of manifest.imports[file] ?? []) {
      if (!out.has(dep)) {
        out.add(dep);
        visit(dep);
      }
    }
  };
  entries.forEach(visit);
  return [...out];
}

function escapeAttr(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

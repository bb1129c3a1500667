// The installable app: the web manifest (/manifest.webmanifest) and the service worker (/sw.js),
// which is static/sw.js with this build's app shell prepended. The shell lists hashed URLs, so a new
// build is a new worker, byte for byte, and browsers install it on their next update check.

import { APP_ICONS } from "./app_icons.ts";
import type { EncodedAsset } from "./compression.ts";
import { compressForBuild, contentHash, loadStaticManifest, staticUrl } from "./islands/assets.ts";
import type { StaticManifest } from "./islands/assets.ts";
import { dirOf, type Locale } from "../i18n/locales.ts";
import { translator } from "../i18n/translate.ts";

/** The page the worker shows for a navigation the network cannot answer (routes/offline.tsx). */
export const OFFLINE_PATH = "/offline";
/** The script every page loads to register the worker and announce new versions (static/pwa.js). */
export const PWA_SCRIPT = "pwa.js";
export const WEB_MANIFEST_TYPE = "application/manifest+json";

/** The colours of static/app.css: --bg (light) behind the splash screen, --surface of the header per scheme. */
export const THEME_COLORS = { background: "#f6f7f9", light: "#ffffff", dark: "#171b21" } as const;

/**
 * The files the worker keeps from install on: the offline page and what it and every page need
 * (stylesheets, the registration script, the icons), by their current hashed URLs.
 */
export function appShell(): string[] {
  const files = ["app.css", "meeting.css", "favicon.svg", PWA_SCRIPT, ...APP_ICONS.map((i) => i.file)];
  return [OFFLINE_PATH, ...files.map((f) => staticUrl(f))];
}

/** The web app manifest in `locale`, pointing at this build's hashed icons. */
export function webManifest(locale: Locale = "en"): Record<string, unknown> {
  return {
    // Stable identity: start_url may change without making installed apps a different app.
    id: "/",
    name: "Talkspace",
    short_name: "Talkspace",
    description: translator(locale)("site.appDescription"),
    lang: locale,
    dir: dirOf(locale),
    // The dashboard is where a person's meetings are; signed out, it sends them to sign in and back.
    start_url: "/dashboard",
    scope: "/",
    display: "standalone",
    background_color: THEME_COLORS.background,
    theme_color: THEME_COLORS.light,
    icons: [
      ...APP_ICONS.map((i) => ({
        src: staticUrl(i.file),
        sizes: `${i.size}x${i.size}`,
        type: "image/png",
        purpose: i.purpose,
      })),
      { src: staticUrl("favicon.svg"), sizes: "any", type: "image/svg+xml", purpose: "any" },
    ],
  };
}

/** Serves JSON or a script as a file: the hash as ETag, brotli and gzip made once. */
async function encoded(text: string, contentType: string): Promise<EncodedAsset> {
  const identity = new TextEncoder().encode(text);
  const codings = compressForBuild(identity);
  return {
    contentType,
    hash: await contentHash(identity),
    identity,
    br: codings.br as Uint8Array<ArrayBuffer> | undefined,
    gzip: codings.gzip as Uint8Array<ArrayBuffer> | undefined,
  };
}

/** One cache per static build (a rebuild while the server runs gives a new manifest object). */
function perBuild(make: (manifest: StaticManifest | null) => Promise<EncodedAsset>) {
  const byManifest = new WeakMap<StaticManifest, Promise<EncodedAsset>>();
  let unbuilt: Promise<EncodedAsset> | null = null;
  return (): Promise<EncodedAsset> => {
    const manifest = loadStaticManifest();
    if (!manifest) return unbuilt ??= make(null);
    let hit = byManifest.get(manifest);
    if (!hit) {
      hit = make(manifest);
      byManifest.set(manifest, hit);
      hit.catch(() => byManifest.delete(manifest));
    }
    return hit;
  };
}

const manifests = new Map<Locale, ReturnType<typeof perBuild>>();

/** The manifest's bytes for the current build in `locale` (the page links its own language's). */
export function webManifestAsset(locale: Locale = "en"): Promise<EncodedAsset> {
  let forLocale = manifests.get(locale);
  if (!forLocale) {
    forLocale = perBuild(() => encoded(JSON.stringify(webManifest(locale), null, 2) + "\n", WEB_MANIFEST_TYPE));
    manifests.set(locale, forLocale);
  }
  return forLocale();
}

const WORKER_SOURCE = new URL("../../static/sw.js", import.meta.url);
let workerSource: Promise<string> | null = null;
const workers = new Map<string, ReturnType<typeof perBuild>>();

/**
 * The worker's script for the current build and `release` (TALKSPACE_RELEASE): its version is a
 * hash of the shell, the release and the worker's own code, so any of them changing updates it.
 */
export function serviceWorkerAsset(release: string): Promise<EncodedAsset> {
  let forRelease = workers.get(release);
  if (!forRelease) {
    forRelease = perBuild(async () => {
      workerSource ??= Deno.readTextFile(WORKER_SOURCE);
      const source = await workerSource;
      const shell = appShell();
      const version = await contentHash(new TextEncoder().encode(JSON.stringify([shell, release, source])), 6);
      const build = { version, release, shell, offline: OFFLINE_PATH, icon: staticUrl(APP_ICONS[0].file) };
      const head = `// Generated for this build by lib/web/pwa.ts; the worker's code is static/sw.js.\n` +
        `self.TALKSPACE_BUILD = ${JSON.stringify(build)};\n\n`;
      return encoded(head + source, "text/javascript; charset=utf-8");
    });
    workers.set(release, forRelease);
  }
  return forRelease();
}

// Regenerates lib/meetings/client/effects/assets.ts (the hashed URLs of the effects' files) after a
// package upgrade or a changed background. Usage: deno run -A scripts/effects_assets.ts
import { assetsModule, effectAssetUrls } from "../lib/meetings/client/effects/vendor.ts";
import { STATIC_SOURCE_DIR } from "../lib/web/islands/assets.ts";

if (import.meta.main) {
  const path = new URL("../lib/meetings/client/effects/assets.ts", import.meta.url);
  await Deno.writeTextFile(path, assetsModule(await effectAssetUrls(STATIC_SOURCE_DIR)));
  console.log(`wrote ${decodeURIComponent(path.pathname)}`);
}

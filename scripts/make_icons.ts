// Writes the installable app's PNG icons (static/icon-*.png) from static/favicon.svg: run it after
// changing the favicon and commit the output (lib/web/app_icons_test.ts fails while they differ).
// Usage: deno run -A scripts/make_icons.ts

import { APP_ICONS, parseIconSvg, renderIcon } from "../lib/web/app_icons.ts";
import { encodePng } from "../lib/common/png.ts";

const STATIC = new URL("../static/", import.meta.url);

if (import.meta.main) {
  const design = parseIconSvg(await Deno.readTextFile(new URL("favicon.svg", STATIC)));
  for (const icon of APP_ICONS) {
    const png = await encodePng(renderIcon(design, icon.size, icon.purpose));
    await Deno.writeFile(new URL(icon.file, STATIC), png);
    console.log(`  static/${icon.file.padEnd(24)} ${icon.size}×${icon.size} ${icon.purpose.padEnd(8)} ${png.length} B`);
  }
}

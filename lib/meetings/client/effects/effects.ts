// The effects chunk: what the controller imports (dynamically) once an effect is turned on.
export { loadSegmenter, VideoEffect } from "./video.ts";
export type { Backend, Background } from "./video.ts";
export { NoiseSuppression } from "./audio.ts";

import { EFFECT_ASSETS } from "./assets.ts";
import type { Background } from "./video.ts";

/** The effect for a choice of the Effects group (an unknown image falls back to the first). */
export function backgroundFor(choice: "blur" | "image", image: string): Background {
  const assets = EFFECT_ASSETS as Record<string, string>;
  return choice === "blur" ? { kind: "blur" } : { kind: "image", url: assets[image] ?? EFFECT_ASSETS["bg-dusk.webp"] };
}

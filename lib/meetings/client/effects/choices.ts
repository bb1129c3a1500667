// What the Effects group offers and whether this browser can run it: small, in the meeting page's
// bundle. The effects themselves (effects/effects.ts) load only when turned on.

export type VideoEffectChoice = "none" | "blur" | "image";

/** The bundled backgrounds (static/, served hashed: effects/assets.ts). */
export const BACKGROUNDS = [
  { id: "bg-dusk.webp", label: "Dusk" },
  { id: "bg-garden.webp", label: "Garden" },
] as const;

/** Why an effect cannot run in this browser, or undefined when it can. */
export function effectsUnsupported(): { video?: string; audio?: string } {
  const g = globalThis as Record<string, unknown>;
  const wasm = typeof g.WebAssembly === "object";
  const frames = "MediaStreamTrackProcessor" in g ||
    "captureStream" in (g.HTMLCanvasElement as { prototype: object })?.prototype;
  return {
    video: !wasm || !g.OffscreenCanvas || !frames || !g.WebGL2RenderingContext
      ? "This browser can't run background effects (it lacks WebAssembly, WebGL 2 or canvas streams)."
      : undefined,
    audio: !wasm || !g.AudioWorkletNode
      ? "This browser can't run enhanced noise suppression (no AudioWorklet)."
      : undefined,
  };
}

// The pure parts of the video effects: turning the segmenter's confidence mask into an alpha mask,
// and where a background image goes (cover, centred). No DOM, unit-tested.

/**
 * Writes `confidence` (person probability per pixel, 0-1; raw logits are squashed) into the alpha
 * channel of `rgba` (white pixels), with a soft ramp between `low` and `high` so the edge of a
 * person fades instead of flickering on and off.
 */
export function maskToAlpha(confidence: Float32Array, rgba: Uint8ClampedArray, low = 0.25, high = 0.75): void {
  if (rgba.length !== confidence.length * 4) throw new Error("mask and image sizes differ");
  const span = high - low;
  for (let i = 0; i < confidence.length; i++) {
    let v = confidence[i];
    if (v < 0 || v > 1) v = 1 / (1 + Math.exp(-v)); // a model without an activation gives logits
    const a = v <= low ? 0 : v >= high ? 1 : (v - low) / span;
    const o = i * 4;
    rgba[o] = rgba[o + 1] = rgba[o + 2] = 255;
    rgba[o + 3] = a * 255;
  }
}

/** The source rectangle of an image drawn to cover a `w`×`h` frame (centred, aspect kept). */
export function coverRect(imgW: number, imgH: number, w: number, h: number): [number, number, number, number] {
  const scale = Math.max(w / imgW, h / imgH);
  const sw = w / scale, sh = h / scale;
  return [(imgW - sw) / 2, (imgH - sh) / 2, sw, sh];
}

/** Frames counted over a window, for the frame rate the effect achieves. */
export class FrameRate {
  #times: number[] = [];
  constructor(readonly windowMs = 2000) {}
  tick(now: number): void {
    this.#times.push(now);
    while (this.#times.length && this.#times[0] < now - this.windowMs) this.#times.shift();
  }
  /** Frames per second over the window. */
  fps(now: number): number {
    const recent = this.#times.filter((t) => t >= now - this.windowMs);
    return recent.length / (this.windowMs / 1000);
  }
}

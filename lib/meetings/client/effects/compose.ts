// The pure parts of the video effects: where a background image goes (cover, centred) and the
// frame rate they reach. No DOM, unit-tested.

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

// The pure part of the video effects: where a background image goes (cover, centred). No DOM,
// unit-tested.

/** The source rectangle of an image drawn to cover a `w`×`h` frame (centred, aspect kept). */
export function coverRect(imgW: number, imgH: number, w: number, h: number): [number, number, number, number] {
  const scale = Math.max(w / imgW, h / imgH);
  const sw = w / scale, sh = h / scale;
  return [(imgW - sw) / 2, (imgH - sh) / 2, sw, sh];
}

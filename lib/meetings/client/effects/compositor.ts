// One video frame with the effect on a 2D canvas: the person (where the newest mask says) over the
// frame blurred, or over a background image. Used by the effects worker (effects_worker.ts) and by
// the main-thread fallback in browsers without insertable streams; no segmentation here.

import { coverRect } from "./compose.ts";

/** What goes behind the person; the image is decoded once (an ImageBitmap this compositor owns). */
export type Backdrop = { kind: "blur" } | { kind: "image"; image: ImageBitmap };

type Canvas2D = OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D;

/** The model's own size (landscape, 256×144): the size of the masks and of the frames it is given. */
export const MASK_WIDTH = 256;
export const MASK_HEIGHT = 144;

export class Compositor {
  #ctx: Canvas2D;
  #backdrop: Backdrop = { kind: "blur" };
  /** The newest person mask (alpha), copied out of the segmenter's bitmap once per mask. */
  #mask = new OffscreenCanvas(MASK_WIDTH, MASK_HEIGHT);
  #maskCtx = this.#mask.getContext("2d")!;
  #hasMask = false;
  /** The frame at a quarter size for the blur: 16 times fewer pixels, and scaling up blurs further. */
  #small = new OffscreenCanvas(2, 2);
  #smallCtx = this.#small.getContext("2d")!;

  constructor(readonly canvas: OffscreenCanvas | HTMLCanvasElement) {
    this.#ctx = canvas.getContext("2d") as Canvas2D;
  }

  setBackdrop(backdrop: Backdrop) {
    if (this.#backdrop.kind === "image") this.#backdrop.image.close();
    this.#backdrop = backdrop;
  }

  /** Takes the mask for the frames from now on (and closes the bitmap). */
  setMask(mask: ImageBitmap) {
    this.#maskCtx.globalCompositeOperation = "copy";
    this.#maskCtx.drawImage(mask, 0, 0, MASK_WIDTH, MASK_HEIGHT);
    mask.close();
    this.#hasMask = true;
  }

  /**
   * Draws `frame` (w×h) with the effect. Until the first mask the frame is all background (blurred
   * or replaced), so what is behind the person never shows unmasked.
   */
  draw(frame: CanvasImageSource, w: number, h: number) {
    const canvas = this.canvas;
    if (canvas.width !== w || canvas.height !== h) {
      canvas.width = w;
      canvas.height = h;
      this.#small.width = Math.max(1, Math.round(w / 4));
      this.#small.height = Math.max(1, Math.round(h / 4));
    }
    const ctx = this.#ctx;
    if (this.#hasMask) {
      // The person: the mask scaled up smoothly (a soft edge), then the frame inside it.
      ctx.globalCompositeOperation = "copy";
      ctx.drawImage(this.#mask, 0, 0, w, h);
      ctx.globalCompositeOperation = "source-in";
      ctx.drawImage(frame, 0, 0, w, h);
      ctx.globalCompositeOperation = "destination-over";
    } else {
      ctx.globalCompositeOperation = "copy";
    }
    const backdrop = this.#backdrop;
    if (backdrop.kind === "image") {
      const { image } = backdrop;
      ctx.drawImage(image, ...coverRect(image.width, image.height, w, h), 0, 0, w, h);
    } else {
      this.#smallCtx.filter = "blur(3px)";
      this.#smallCtx.drawImage(frame, 0, 0, this.#small.width, this.#small.height);
      ctx.drawImage(this.#small, 0, 0, w, h);
    }
    ctx.globalCompositeOperation = "source-over";
  }

  close() {
    this.setBackdrop({ kind: "blur" });
  }
}

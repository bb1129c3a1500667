// The installable app's PNG icons, drawn from static/favicon.svg itself: a rasteriser for the few
// SVG shapes the favicon uses (a rounded rect, straight-edged paths), so the icons cannot drift from
// the design. scripts/make_icons.ts writes them into static/; app_icons_test.ts checks they are current.

import type { RgbaImage } from "../common/png.ts";

/** One icon the web manifest lists: its static/ file name, size and purpose. */
export interface AppIcon {
  file: string;
  size: number;
  purpose: "any" | "maskable";
}

export const APP_ICONS: readonly AppIcon[] = [
  { file: "icon-192.png", size: 192, purpose: "any" },
  { file: "icon-512.png", size: 512, purpose: "any" },
  { file: "icon-maskable-192.png", size: 192, purpose: "maskable" },
  { file: "icon-maskable-512.png", size: 512, purpose: "maskable" },
];

/**
 * How much of the icon a maskable variant's glyph may span: platforms crop maskable icons to any
 * shape containing the centred circle of radius 40% (the W3C "safe zone"), so the glyph is shrunk
 * to 80% of its favicon size and the background bleeds to the edges.
 */
export const MASKABLE_GLYPH_SCALE = 0.8;
export const SAFE_ZONE_RADIUS = 0.4;

type Rgba = [number, number, number, number];

interface RectShape {
  kind: "rect";
  x: number;
  y: number;
  width: number;
  height: number;
  rx: number;
  fill: Rgba;
}

interface PathShape {
  kind: "path";
  /** Closed polygons, filled together with the nonzero rule. */
  polygons: [number, number][][];
  fill: Rgba;
}

type Shape = RectShape | PathShape;

export interface IconDesign {
  width: number;
  height: number;
  shapes: Shape[];
}

function attrs(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of tag.matchAll(/([a-zA-Z:-]+)\s*=\s*"([^"]*)"/g)) out[m[1]] = m[2];
  return out;
}

function color(value: string | undefined): Rgba {
  // SVG's default fill is black.
  let v = (value ?? "#000").trim().toLowerCase();
  if (/^#[0-9a-f]{3}$/.test(v)) v = `#${v[1]}${v[1]}${v[2]}${v[2]}${v[3]}${v[3]}`;
  const m = /^#([0-9a-f]{6})$/.exec(v);
  if (!m) throw new Error(`app icons: fill ${JSON.stringify(value)} is not a #rgb or #rrggbb colour`);
  const n = parseInt(m[1], 16);
  return [n >> 16, (n >> 8) & 0xff, n & 0xff, 255];
}

/** Path data with only straight segments (M, L, H, V, Z, absolute or relative) into polygons. */
function polygonsOf(d: string): [number, number][][] {
  const tokens = d.match(/[A-Za-z]|-?(?:\d+\.?\d*|\.\d+)(?:e-?\d+)?/g) ?? [];
  const polygons: [number, number][][] = [];
  let current: [number, number][] = [];
  let x = 0, y = 0, startX = 0, startY = 0;
  let command = "";
  let i = 0;
  const num = () => {
    const t = tokens[i++];
    if (t === undefined || /[A-Za-z]/.test(t)) throw new Error(`app icons: path "${d}" ends early`);
    return Number(t);
  };
  const close = () => {
    if (current.length > 2) polygons.push(current);
    current = [];
  };
  while (i < tokens.length) {
    if (/[A-Za-z]/.test(tokens[i])) command = tokens[i++];
    const rel = command === command.toLowerCase();
    switch (command.toUpperCase()) {
      case "M":
        close();
        x = rel ? x + num() : num();
        y = rel ? y + num() : num();
        [startX, startY] = [x, y];
        current.push([x, y]);
        command = rel ? "l" : "L"; // further pairs after a moveto are linetos
        break;
      case "L":
        x = rel ? x + num() : num();
        y = rel ? y + num() : num();
        current.push([x, y]);
        break;
      case "H":
        x = rel ? x + num() : num();
        current.push([x, y]);
        break;
      case "V":
        y = rel ? y + num() : num();
        current.push([x, y]);
        break;
      case "Z":
        close();
        [x, y] = [startX, startY];
        break;
      default:
        throw new Error(`app icons: path command ${command || tokens[i]} is not supported (only M L H V Z)`);
    }
  }
  close();
  return polygons;
}

/** The favicon's shapes, in paint order; refuses SVG features the rasteriser does not draw. */
export function parseIconSvg(svg: string): IconDesign {
  const root = /<svg\b[^>]*>/.exec(svg);
  const viewBox = root ? attrs(root[0]).viewBox?.trim().split(/[\s,]+/).map(Number) : undefined;
  if (!viewBox || viewBox.length !== 4 || viewBox[0] !== 0 || viewBox[1] !== 0) {
    throw new Error("app icons: the favicon needs a viewBox starting at 0 0");
  }
  const shapes: Shape[] = [];
  for (const m of svg.matchAll(/<(\w+)\b[^>]*\/?>/g)) {
    const [tag, name] = m;
    if (name === "svg") continue;
    const a = attrs(tag);
    if (a.transform || a.opacity || a["fill-opacity"] || a.stroke) {
      throw new Error(`app icons: <${name}> uses transform, opacity or stroke, which are not drawn`);
    }
    if (name === "rect") {
      shapes.push({
        kind: "rect",
        x: Number(a.x ?? 0),
        y: Number(a.y ?? 0),
        width: Number(a.width),
        height: Number(a.height),
        rx: Number(a.rx ?? a.ry ?? 0),
        fill: color(a.fill),
      });
    } else if (name === "path") {
      shapes.push({ kind: "path", polygons: polygonsOf(a.d ?? ""), fill: color(a.fill) });
    } else {
      throw new Error(`app icons: <${name}> is not drawn (only rect and path)`);
    }
  }
  return { width: viewBox[2], height: viewBox[3], shapes };
}

function inRect(s: RectShape, x: number, y: number): boolean {
  if (x < s.x || y < s.y || x > s.x + s.width || y > s.y + s.height) return false;
  const r = Math.min(s.rx, s.width / 2, s.height / 2);
  if (r <= 0) return true;
  const cx = Math.min(Math.max(x, s.x + r), s.x + s.width - r);
  const cy = Math.min(Math.max(y, s.y + r), s.y + s.height - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
}

function inPath(s: PathShape, x: number, y: number): boolean {
  let winding = 0;
  for (const poly of s.polygons) {
    for (let i = 0; i < poly.length; i++) {
      const [x0, y0] = poly[i];
      const [x1, y1] = poly[(i + 1) % poly.length];
      if (y0 <= y ? y1 > y : y1 <= y) {
        const cross = (x1 - x0) * (y - y0) - (x - x0) * (y1 - y0);
        if (y1 > y0 ? cross > 0 : cross < 0) winding += y1 > y0 ? 1 : -1;
      }
    }
  }
  return winding !== 0;
}

/**
 * Draws `design` at `size`×`size` pixels with 4×4 samples per pixel. Maskable: the first shape
 * (the favicon's background square) fills the whole icon without rounded corners and the rest is
 * scaled about the centre by MASKABLE_GLYPH_SCALE, inside the safe zone.
 */
export function renderIcon(design: IconDesign, size: number, purpose: AppIcon["purpose"]): RgbaImage {
  const [background, ...glyph] = design.shapes;
  if (!background || background.kind !== "rect") throw new Error("app icons: the favicon must start with a rect");
  const shapes: Shape[] = purpose === "maskable"
    ? [{ ...background, x: 0, y: 0, width: design.width, height: design.height, rx: 0 }, ...glyph]
    : design.shapes;
  const glyphScale = purpose === "maskable" ? MASKABLE_GLYPH_SCALE : 1;
  const cx = design.width / 2, cy = design.height / 2;
  const data = new Uint8Array(size * size * 4);
  const N = 4;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let sy = 0; sy < N; sy++) {
        for (let sx = 0; sx < N; sx++) {
          const ux = ((px + (sx + 0.5) / N) / size) * design.width;
          const uy = ((py + (sy + 0.5) / N) / size) * design.height;
          let hit: Rgba | null = null;
          for (let k = shapes.length - 1; k >= 0 && !hit; k--) {
            const s = shapes[k];
            const scale = k === 0 ? 1 : glyphScale;
            const x = cx + (ux - cx) / scale, y = cy + (uy - cy) / scale;
            if (s.kind === "rect" ? inRect(s, x, y) : inPath(s, x, y)) hit = s.fill;
          }
          if (hit) {
            r += hit[0];
            g += hit[1];
            b += hit[2];
            a += 255;
          }
        }
      }
      const o = (py * size + px) * 4;
      if (a > 0) {
        // Averaged over covered samples (the shapes are opaque), so edges keep their colour and fade by alpha.
        const covered = a / 255;
        data[o] = Math.round(r / covered);
        data[o + 1] = Math.round(g / covered);
        data[o + 2] = Math.round(b / covered);
        data[o + 3] = Math.round(a / (N * N));
      }
    }
  }
  return { width: size, height: size, data };
}

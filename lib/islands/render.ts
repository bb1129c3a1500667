// Server-side rendering with islands. (Placeholder until the island layer lands: no islands yet.)

import type { VNode } from "preact";
import { renderToString } from "preact-render-to-string";

export interface RenderedPage {
  /** The body HTML. */
  html: string;
  /** The boot `<script type="module" nonce=…>` for the islands on the page, or "" when none rendered. */
  script: string;
}

export function renderWithIslands(vnode: VNode, _opts: { nonce: string }): RenderedPage {
  return { html: renderToString(vnode), script: "" };
}

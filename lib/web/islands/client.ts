// The browser runtime: finds each island's comment markers and hydrates the island in place.
// Kept tiny on purpose: every page with an island ships it.

import { h, hydrate } from "preact";
import type { ComponentType } from "preact";
import type { IslandPayload } from "./protocol.ts";
import { ISLAND_END, ISLAND_START, reviveDates } from "./protocol.ts";

// deno-lint-ignore no-explicit-any -- props arrive as JSON and each island checks its own shape
type AnyComponent = ComponentType<any>;

/**
 * Hydrates every island on the page. `components` maps island names to their modules' default
 * exports; `payload` is the server's serialized props (see serialize.ts); `catalogs` maps an island
 * with a catalog to its language's catalog chunk (its compiled messages), which completes the
 * island's `i18n` prop (the page sends only the language).
 */
export function boot(
  components: Record<string, AnyComponent>,
  payload: IslandPayload,
  catalogs: Record<string, object> = {},
): void {
  const props = payload.props;
  reviveDates(payload);
  const starts = new Map<string, Comment>();
  const ends = new Map<string, Comment>();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_COMMENT);
  for (let node = walker.nextNode() as Comment | null; node; node = walker.nextNode() as Comment | null) {
    const text = node.data;
    if (text.startsWith(ISLAND_START)) starts.set(text.slice(text.lastIndexOf(":") + 1), node);
    else if (text.startsWith(ISLAND_END)) ends.set(text.slice(ISLAND_END.length), node);
  }
  for (const [id, start] of starts) {
    const name = start.data.slice(ISLAND_START.length, start.data.lastIndexOf(":"));
    const end = ends.get(id);
    const component = components[name];
    const islandProps = props[Number(id)];
    try {
      if (!end || end.parentNode !== start.parentNode || !component || !islandProps) {
        throw new Error(`markers or module missing for island ${name}#${id}`);
      }
      const messages = catalogs[name];
      const full = messages
        ? { ...islandProps as object, i18n: { ...(islandProps as { i18n: object }).i18n, messages } }
        : islandProps;
      hydrate(h(component, full as object), partialRoot(start, end) as unknown as Element);
    } catch (err) {
      // One broken island must not stop the others from hydrating.
      console.error(`island ${name} failed to hydrate`, err);
    }
  }
}

/**
 * A stand-in parent node covering only the siblings between two markers, so Preact hydrates and
 * later inserts into that range instead of the whole parent (the trick Fresh uses).
 */
function partialRoot(start: Comment, end: Comment) {
  const parent = start.parentNode as ParentNode & Node;
  const children = (): ChildNode[] => {
    const out: ChildNode[] = [];
    for (let n = start.nextSibling; n && n !== end; n = n.nextSibling) out.push(n);
    return out;
  };
  const insert = (node: Node, before?: Node | null) => parent.insertBefore(node, before || end);
  return {
    nodeType: 1,
    parentNode: parent,
    namespaceURI: (parent as Element).namespaceURI,
    ownerDocument: document,
    get firstChild() {
      return children()[0] ?? null;
    },
    get childNodes() {
      return children();
    },
    insertBefore: insert,
    appendChild: (node: Node) => insert(node),
    removeChild: (node: Node) => parent.removeChild(node),
    contains: (node: Node) => children().some((c) => c === node || c.contains(node)),
  };
}

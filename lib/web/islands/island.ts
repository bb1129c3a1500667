// Island definitions (the explicit registry the build reads) and the server-side wrapper that
// marks an island's HTML with comments and collects its props for the boot script.

import { createContext, Fragment, h } from "preact";
import type { ComponentType, FunctionComponent, VNode } from "preact";
import { useContext } from "preact/hooks";
import { IS_BROWSER } from "./is_browser.ts";
import { ISLAND_END, ISLAND_START } from "./protocol.ts";
import type { IslandPayload } from "./protocol.ts";
import { addIslandProps } from "./serialize.ts";

export interface IslandDefinition {
  /** PascalCase name, unique: the marker, manifest key and bundle file name use it. */
  name: string;
  /** The island's module (its default export is the component); one bundle entry each. */
  module: URL;
  // deno-lint-ignore no-explicit-any -- the registry holds islands of every props type
  component: ComponentType<any>;
  /**
   * Message key prefixes of the island's catalog. Such an island takes an `i18n` prop
   * ({locale, messages}); its messages do not travel in the page but in a per-language catalog
   * chunk the build writes beside the bundles (cached like them), which the boot script imports.
   */
  catalog?: readonly string[];
}

export interface IslandOptions {
  /** See IslandDefinition.catalog. */
  catalog?: readonly string[];
}

/** The islands one page render met, in id order, and their serialized props. */
export interface IslandCollector {
  names: string[];
  payload: IslandPayload;
  /** Island name → the language whose catalog chunk it needs (islands with a catalog only). */
  catalogs: Map<string, string>;
}

/** The `i18n` prop of an island with a catalog. */
interface CatalogProps {
  i18n?: { locale?: unknown; messages?: unknown };
}

const NAME_RE = /^[A-Z][A-Za-z0-9]*$/;
const registry = new Map<string, IslandDefinition>();
let active: IslandCollector | null = null;
/** Set below an island's root on the server: nested islands hydrate as part of their outer island. */
const InsideIsland = createContext(false);

/**
 * Registers an island and returns the component pages render. On the server it renders `component`
 * between marker comments and records its props (refusing non-JSON props); in the browser, or
 * inside another island, it is just `component`.
 */
export function defineIsland<P extends object>(
  name: string,
  module: URL,
  component: ComponentType<P>,
  opts: IslandOptions = {},
): FunctionComponent<P> {
  if (!NAME_RE.test(name)) throw new Error(`Island name "${name}" must be PascalCase letters and digits`);
  const existing = registry.get(name);
  if (existing && existing.module.href !== module.href) {
    throw new Error(`Island "${name}" is defined twice (${existing.module.href} and ${module.href})`);
  }
  registry.set(name, { name, module, component, ...(opts.catalog ? { catalog: opts.catalog } : {}) });
  return wrapIsland(name, component, opts);
}

/**
 * The wrapper without registering (defineIsland uses it; tests use it for islands that are never
 * built). Nothing hydrates an island whose name is missing from the bundle manifest.
 */
export function wrapIsland<P extends object>(
  name: string,
  component: ComponentType<P>,
  opts: IslandOptions = {},
): FunctionComponent<P> {
  function Island(props: P): VNode {
    const inside = useContext(InsideIsland);
    if (IS_BROWSER || inside) return h(component as ComponentType<object>, props);
    const collector = active;
    if (!collector) {
      throw new Error(`Island "${name}" was rendered outside renderWithIslands(), so nothing would hydrate it`);
    }
    const id = collector.names.length;
    addIslandProps(collector.payload, id, name, opts.catalog ? withoutMessages(name, props, collector) : props);
    collector.names.push(name);
    return h(
      Fragment,
      null,
      comment(`${ISLAND_START}${name}:${id}`),
      h(InsideIsland.Provider, { value: true }, h(component as ComponentType<object>, props)),
      comment(`${ISLAND_END}${id}`),
    );
  }
  Island.displayName = `Island(${name})`;
  return Island;
}

/**
 * The props an island with a catalog ships: its `i18n` with the language only (the page renders
 * with the messages; the browser gets them from the language's catalog chunk before it hydrates).
 */
function withoutMessages(name: string, props: object, collector: IslandCollector): object {
  const { i18n } = props as CatalogProps;
  if (typeof i18n?.locale !== "string") {
    throw new Error(`Island "${name}" has a catalog, so it needs an i18n prop with its locale`);
  }
  const known = collector.catalogs.get(name);
  if (known && known !== i18n.locale) throw new Error(`Island "${name}" rendered in ${known} and ${i18n.locale}`);
  collector.catalogs.set(name, i18n.locale);
  return { ...props, i18n: { locale: i18n.locale } };
}

/** Every island registered so far (islands/mod.ts registers them all when imported). */
export function registeredIslands(): IslandDefinition[] {
  return [...registry.values()];
}

/**
 * Runs a synchronous render with a fresh collector and always removes it afterwards, even when the
 * render throws, so one failed page cannot leak islands into the next.
 */
export function collectIslands<T>(render: () => T): { result: T; collector: IslandCollector } {
  const previous = active;
  const collector: IslandCollector = { names: [], payload: { props: [], dates: [] }, catalogs: new Map() };
  active = collector;
  try {
    return { result: render(), collector };
  } finally {
    active = previous;
  }
}

/** preact-render-to-string prints a Fragment with `UNSTABLE_comment` as `<!--text-->`. */
function comment(text: string): VNode {
  return h(Fragment, { UNSTABLE_comment: text } as Record<string, unknown>);
}

// Turns island props into JSON that is safe inside a <script>, refusing what JSON would silently
// mangle (functions, class instances, NaN, undefined in arrays) with the island and prop named.

import { isValidElement } from "preact";
import type { IslandPayload } from "./protocol.ts";

/** Thrown at render time when an island gets a prop the browser could not receive as-is. */
export class IslandPropError extends Error {
  constructor(island: string, path: string, problem: string) {
    super(`Island "${island}": prop "${path}" ${problem}; islands only take JSON values and Dates`);
    this.name = "IslandPropError";
  }
}

/**
 * Adds one island's props to `payload` (at index `id`) as plain JSON, recording where Dates were.
 * Throws IslandPropError naming the island and the path of the first value that is not JSON or a Date.
 */
export function addIslandProps(payload: IslandPayload, id: number, island: string, props: object): void {
  const seen = new Set<object>();
  const path: (string | number)[] = [];

  function fail(problem: string): never {
    throw new IslandPropError(island, formatPath(path), problem);
  }

  function walk(value: unknown, inArray: boolean): unknown {
    switch (typeof value) {
      case "string":
      case "boolean":
        return value;
      case "number":
        if (!Number.isFinite(value)) fail(`is ${value} (not representable in JSON)`);
        return value;
      case "undefined":
        // JSON turns undefined array items into null; object keys are simply left out.
        if (inArray) fail("is undefined inside an array");
        return undefined;
      case "function":
        fail("is a function");
        break;
      case "symbol":
        fail("is a Symbol");
        break;
      case "bigint":
        fail("is a BigInt");
        break;
    }
    if (value === null) return null;
    const obj = value as object;
    if (obj instanceof Date) {
      if (Number.isNaN(obj.getTime())) fail("is an invalid Date");
      payload.dates.push([id, ...path]);
      return obj.toISOString();
    }
    if (isValidElement(obj)) fail("is a JSX element (islands cannot take children or elements)");
    if (seen.has(obj)) fail("is a circular reference");
    seen.add(obj);
    let out: unknown;
    if (Array.isArray(obj)) {
      out = obj.map((item, i) => {
        path.push(i);
        const v = walk(item, true);
        path.pop();
        return v;
      });
    } else {
      const proto = Object.getPrototypeOf(obj);
      if (proto !== Object.prototype && proto !== null) fail(`is a ${describe(obj)}`);
      const copy = walkKeys(obj);
      if (Object.getOwnPropertySymbols(obj).length) fail("has Symbol keys");
      out = copy;
    }
    seen.delete(obj);
    return out;
  }

  /** An object's own string keys, each value walked; undefined ones are left out, as JSON does. */
  function walkKeys(obj: object): Record<string, unknown> {
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(obj)) {
      path.push(key);
      const v = walk((obj as Record<string, unknown>)[key], false);
      path.pop();
      if (v !== undefined) copy[key] = v;
    }
    return copy;
  }

  payload.props[id] = walkKeys(props);
}

/**
 * JSON that can sit inside a <script> element: no `</script>`, `<!--`, or JS line terminators. `$`
 * is escaped too, so the script survives being spliced in with String.prototype.replace (where `$&`
 * and `$'` in the replacement are patterns).
 */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/\$/g, "\\u0024")
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

function describe(obj: object): string {
  if (obj instanceof Map) return "Map";
  if (obj instanceof Set) return "Set";
  if (obj instanceof RegExp) return "RegExp";
  if (obj instanceof Promise) return "Promise";
  const name = (obj as { constructor?: { name?: string } }).constructor?.name;
  return name ? `class instance (${name})` : "non-plain object";
}

/** `items[2].at`, or `["odd key"]` for keys that are not identifiers. */
function formatPath(path: (string | number)[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(part)) out += out ? `.${part}` : part;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}

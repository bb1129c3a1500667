// What the server and the browser runtime agree on: marker comments and the props payload shape.

/** Start marker text: `ts-island:<Name>:<id>`. */
export const ISLAND_START = "ts-island:";
/** End marker text: `/ts-island:<id>`. */
export const ISLAND_END = "/ts-island:";

/** The boot script's data: props in island-id order, and where Dates sit inside them. */
export interface IslandPayload {
  /** Props of island `i` (its id) as plain JSON. Dates appear as ISO strings until revived. */
  props: unknown[];
  /** Paths to Date values: `[islandId, ...keys]`; revived with `new Date(iso)` in the browser. */
  dates: (string | number)[][];
}

/** Turns the ISO strings at `payload.dates` back into Dates, in place. */
export function reviveDates(payload: IslandPayload): void {
  for (const [index, ...path] of payload.dates) {
    // deno-lint-ignore no-explicit-any -- walking a JSON tree by a path the server made
    let holder: any = payload.props[index as number];
    for (let i = 0; i < path.length - 1; i++) holder = holder[path[i]];
    const key = path[path.length - 1];
    holder[key] = new Date(holder[key]);
  }
}

// A build output read at request time (the island and static manifests): parsed once per version
// of the file, so a rebuild while the server runs is picked up without re-reading on every page.

const parsed = new Map<string, { stamp: string; value: unknown }>();

/**
 * The parsed contents of `path`, re-read and re-parsed only when its mtime, size or inode changed;
 * null when the file does not exist. `parse` throws for contents it does not understand.
 */
export function readBuildFile<T>(path: string, parse: (text: string) => T): T | null {
  let stamp: string;
  try {
    const info = Deno.statSync(path);
    stamp = `${info.mtime?.getTime()}:${info.size}:${info.ino}`;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
  const hit = parsed.get(path);
  if (hit && hit.stamp === stamp) return hit.value as T;
  const value = parse(Deno.readTextFileSync(path));
  parsed.set(path, { stamp, value });
  return value;
}

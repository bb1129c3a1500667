// Which external programs a test needs are missing, so it can be skipped with the reason
// (npm test installs them as root; without root they may be absent).

/** Names of the given programs not found on PATH. */
export function missingPrograms(...names: string[]): string[] {
  const dirs = (Deno.env.get("PATH") ?? "").split(":").filter(Boolean);
  return names.filter((name) =>
    !dirs.some((dir) => {
      try {
        return Deno.statSync(`${dir}/${name}`).isFile;
      } catch {
        return false;
      }
    })
  );
}

/** A skip reason for Deno.test's `ignore`, printed once, or null when everything is there. */
export function skipUnlessPrograms(what: string, ...names: string[]): string | null {
  const missing = missingPrograms(...names);
  if (!missing.length) return null;
  const reason = `${what}: skipped, ${missing.join(", ")} not installed (npm test installs them when run as root)`;
  console.log(reason);
  return reason;
}

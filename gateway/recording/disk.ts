// Free space of the file system a directory is on. Deno has no statfs, so this asks df (coreutils,
// on every Debian), in POSIX output so the columns are fixed.

/** Free MiB available to an unprivileged writer where `dir` lives. */
export async function freeMb(dir: string): Promise<number> {
  const out = await new Deno.Command("df", { args: ["-Pk", dir], stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout);
  const line = text.trim().split("\n")[1] ?? "";
  const available = Number(line.trim().split(/\s+/)[3]);
  if (!out.success || !Number.isFinite(available)) {
    throw new Error(`df ${dir} failed: ${new TextDecoder().decode(out.stderr).trim() || text.trim()}`);
  }
  return Math.floor(available / 1024);
}

// A timestamp as administrators read it: "2026-11-21 05:25" (UTC), machine-readable in `datetime`.

export function UtcTime({ iso }: { iso: string }) {
  return <time datetime={iso}>{iso.replace("T", " ").slice(0, 16)}</time>;
}

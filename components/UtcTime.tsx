// A timestamp as administrators read it: "2026-11-21 05:25" (UTC), machine-readable in `datetime`;
// the same digits in every language, kept left to right inside right-to-left pages.

export function UtcTime({ iso }: { iso: string }) {
  return <time datetime={iso} dir="ltr">{iso.replace("T", " ").slice(0, 16)}</time>;
}

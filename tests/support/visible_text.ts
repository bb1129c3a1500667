// What a person reads on a server-rendered page, for language checks: the text of the body and the
// attributes people meet (title, aria-label, placeholder, alt, data-label), without scripts, styles,
// code samples, parts marked as another language (lang="en" inside a German page: the guide) and
// select options that show their own value (time zone names are identifiers, not words).

const VOID = new Set(["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"]);
const SKIP = new Set(["script", "style", "code", "pre", "kbd", "samp", "template"]);
const SPOKEN_ATTRIBUTES = ["title", "aria-label", "placeholder", "alt", "data-label"];

function decode(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos|nbsp);/gi, (_, e: string) => {
    const l = e.toLowerCase();
    if (l.startsWith("#x")) return String.fromCodePoint(parseInt(l.slice(2), 16));
    if (l.startsWith("#")) return String.fromCodePoint(Number(l.slice(1)));
    return { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " " }[l]!;
  });
}

function attributes(tag: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of tag.matchAll(/([^\s=/>]+)(?:\s*=\s*("([^"]*)"|'([^']*)'|([^\s>]+)))?/g)) {
    out.set(m[1].toLowerCase(), decode(m[3] ?? m[4] ?? m[5] ?? ""));
  }
  return out;
}

/** The pieces of text of `html` a person reads, in document order. */
export function visibleText(html: string): string[] {
  const out: string[] = [];
  // Open elements; `skip` counts the ones whose content is not read.
  const stack: { name: string; skip: boolean }[] = [];
  let skipping = 0;
  let option: { value: string; text: string } | null = null;
  for (const m of html.matchAll(/<!--[\s\S]*?-->|<!DOCTYPE[^>]*>|<(\/?)([a-zA-Z][\w-]*)([^>]*)>|([^<]+)/g)) {
    if (m[4] !== undefined) {
      const text = decode(m[4]);
      if (skipping) continue;
      if (option) option.text += text;
      else if (text.trim()) out.push(text.trim());
      continue;
    }
    if (!m[2]) continue; // a comment or the doctype
    const name = m[2].toLowerCase();
    if (m[1]) {
      // Close the innermost open element of this name (and anything left open inside it).
      const at = stack.findLastIndex((e) => e.name === name);
      if (at < 0) continue;
      for (const e of stack.splice(at)) if (e.skip) skipping--;
      if (name === "option" && option) {
        if (!skipping && option.text.trim() && option.text.trim() !== option.value) out.push(option.text.trim());
        option = null;
      }
      continue;
    }
    const attrs = attributes(m[3]);
    if (!skipping) {
      for (const a of SPOKEN_ATTRIBUTES) if (attrs.get(a)?.trim()) out.push(attrs.get(a)!.trim());
      if (name === "input" && ["submit", "button"].includes(attrs.get("type") ?? "")) {
        if (attrs.get("value")) out.push(attrs.get("value")!);
      }
    }
    if (VOID.has(name) || m[3].trimEnd().endsWith("/")) continue;
    const skip = SKIP.has(name) || (attrs.get("lang") ?? "").startsWith("en") && name !== "html";
    stack.push({ name, skip });
    if (skip) skipping++;
    if (name === "option") option = { value: attrs.get("value") ?? "", text: "" };
  }
  return out;
}

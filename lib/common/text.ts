// Cleaning people's text on input, once, in the schemas that parse it: a one-line field (title, name)
// keeps no line break or control character; multi-line text (a description) keeps LF only. Both lose
// lone surrogates (not encodable as UTF-8) and the bidirectional embedding, override and isolate
// characters, which make text display in an order other than the one it is stored in ("Trojan Source").
// The marks U+200E, U+200F and U+061C stay: they only give a neutral character a direction, cannot
// reorder their neighbours, and right-to-left names need them to display correctly.

/** Line breaks in any convention: CRLF, CR, LF, VT, FF, NEL and the Unicode line/paragraph separators. */
const LINE_BREAK = /\r\n|[\n\v\f\r\u0085\u2028\u2029]/g;

/** C0 controls, DEL and C1 controls, except TAB and the line breaks handled above. */
// deno-lint-ignore no-control-regex -- removing control characters is the point
const CONTROL = /[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]/g;

/** LRE RLE PDF LRO RLO (U+202A–U+202E) and LRI RLI FSI PDI (U+2066–U+2069). */
const BIDI_CONTROL = /[\u202a-\u202e\u2066-\u2069]/g;

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function withoutHidden(s: string): string {
  const out = s.replace(CONTROL, "").replace(BIDI_CONTROL, "");
  return out.isWellFormed() ? out : out.replace(LONE_SURROGATE, "");
}

/**
 * One-line text: each line break and TAB becomes one space (a pasted two-line title stays readable),
 * other control characters, bidi overrides/isolates and lone surrogates are removed. Does not trim.
 */
export function cleanLine(s: string): string {
  return withoutHidden(s.replace(LINE_BREAK, " ").replaceAll("\t", " "));
}

/**
 * Multi-line text: every line break becomes LF (CRLF and a bare CR included), TAB stays, other
 * control characters, bidi overrides/isolates and lone surrogates are removed. Does not trim.
 */
export function cleanText(s: string): string {
  return withoutHidden(s.replace(LINE_BREAK, "\n"));
}

// Content codings: choosing one from Accept-Encoding, serving files compressed at build time, and
// compressing dynamic responses (HTML, JSON, calendars) as they leave the app.

import type { Context, MiddlewareHandler } from "hono";
import { parseAccept } from "hono/utils/accept";
import { COMPRESSIBLE_CONTENT_TYPE_REGEX } from "hono/utils/compress";
import { gzipSync } from "node:zlib";

export type Coding = "br" | "gzip" | "identity";

/** Smaller bodies gain less than the coding's framing and the CPU it costs. */
export const COMPRESS_THRESHOLD = 1024;
/** Bodies up to this size are compressed in one piece (with a Content-Length); larger ones stream. */
const WHOLE_BODY_LIMIT = 1 << 20;

/**
 * The coding to send for `header` (Accept-Encoding) among `offered` (in our order of preference,
 * identity implied last): the highest q wins, ties go to the earlier offer, q=0 excludes. A missing
 * header gets identity (RFC 9110 allows any coding, but clients that omit it often cannot decode).
 * Identity is refused only by `identity;q=0` or `*;q=0` without an identity entry; then null
 * (nothing acceptable), which callers answer with identity anyway, as RFC 9110 §12.5.3 permits.
 */
export function negotiateEncoding(header: string | null | undefined, offered: readonly Coding[]): Coding | null {
  if (header === undefined || header === null) return "identity";
  const accepts = parseAccept(header);
  const qOf = (coding: string): number | undefined => {
    const hit = accepts.find((a) => a.type.toLowerCase() === coding);
    return hit ? hit.q : undefined;
  };
  const star = qOf("*");
  let best: Coding | null = null;
  let bestQ = 0;
  for (const coding of offered) {
    if (coding === "identity") continue;
    const q = qOf(coding) ?? star ?? 0;
    if (q > bestQ) [best, bestQ] = [coding, q];
  }
  // Identity beats a named coding only when it is named with a higher q itself; otherwise it is
  // the fallback, acceptable unless refused by name or by `*;q=0`.
  const identityQ = qOf("identity");
  if (best && (identityQ === undefined || bestQ >= identityQ)) return best;
  const identityOk = identityQ === undefined ? star !== 0 : identityQ > 0;
  return identityOk ? "identity" : null;
}

/** The Content-Encoding token of a coding (identity has none). */
export function contentEncoding(coding: Coding): string | null {
  return coding === "identity" ? null : coding;
}

/** Adds Accept-Encoding to a response's Vary unless it is there (or Vary is `*`). */
export function varyOnAcceptEncoding(headers: Headers): void {
  const vary = headers.get("Vary");
  if (vary === "*" || (vary && /(?:^|,)\s*accept-encoding\s*(?:,|$)/i.test(vary))) return;
  headers.set("Vary", vary ? `${vary}, Accept-Encoding` : "Accept-Encoding");
}

/** One stored file and its codings, as the build wrote them. */
export interface EncodedAsset {
  contentType: string;
  /** Strong validator of the content (the same for every coding; each coding's ETag adds a suffix). */
  hash: string;
  identity: Uint8Array<ArrayBuffer>;
  br?: Uint8Array<ArrayBuffer>;
  gzip?: Uint8Array<ArrayBuffer>;
}

const ETAG_SUFFIX: Record<Coding, string> = { identity: "", br: "-br", gzip: "-gz" };

/**
 * Answers with the best coding of `asset` the request accepts: Content-Encoding, Vary, the exact
 * Content-Length and an ETag per coding (a cache must not hand gzip bytes to a validator of the
 * brotli ones); If-None-Match gives 304.
 */
export function assetResponse(c: Context, asset: EncodedAsset, cacheControl: string): Response {
  const offered: Coding[] = [];
  if (asset.br) offered.push("br");
  if (asset.gzip) offered.push("gzip");
  const coding = negotiateEncoding(c.req.header("accept-encoding"), offered) ?? "identity";
  const body = coding === "identity" ? asset.identity : asset[coding]!;
  const etag = `"${asset.hash}${ETAG_SUFFIX[coding]}"`;
  const headers = new Headers({
    "Content-Type": asset.contentType,
    "Cache-Control": cacheControl,
    ETag: etag,
    Vary: "Accept-Encoding",
  });
  const encoding = contentEncoding(coding);
  if (encoding) headers.set("Content-Encoding", encoding);
  if (etagMatches(c.req.header("if-none-match"), etag)) return c.body(null, 304, Object.fromEntries(headers));
  headers.set("Content-Length", String(body.length));
  // Hono answers HEAD by dropping the body of this GET response, keeping its headers.
  return c.body(body, 200, Object.fromEntries(headers));
}

/** If-None-Match with weak comparison (RFC 9110 §13.1.2). */
function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === "*") return true;
  return header.split(",").some((t) => t.trim().replace(/^W\//, "") === etag);
}

/** Statuses whose responses have no body to code, or must keep the bytes they have. */
const UNCODED_STATUS = new Set([101, 204, 205, 206, 304]);

/**
 * Compresses dynamic responses with gzip (zlib level 6: about 0.1 ms for a 10 KB page here, where
 * brotli quality 5 takes about 0.8 ms for 6% fewer bytes; brotli is for files compressed at build
 * time). Only compressible types of at least COMPRESS_THRESHOLD bytes; never a response that already
 * has a Content-Encoding, a WebSocket upgrade (101), a range, a HEAD, `text/event-stream`, or one
 * marked `Cache-Control: no-transform` (how a streaming response that must flush opts out).
 *
 * Against BREACH (a cross-site page making the browser request a page that holds a secret, such as
 * the CSRF token, many times while watching the compressed length), a request the browser marks
 * `Sec-Fetch-Site: cross-site` or `same-site` gets its dynamic response uncompressed.
 */
export function compressResponses(): MiddlewareHandler {
  return async function compressResponses(c, next) {
    await next();
    const res = c.res;
    // Reading `res.body` turns a byte body into a stream that Deno then sends chunk by chunk, so it
    // is touched only once the response is known to be compressed.
    if (UNCODED_STATUS.has(res.status) || c.req.method === "HEAD") return;
    const h = res.headers;
    if (h.has("Content-Encoding") || h.has("Transfer-Encoding")) return;
    const type = h.get("Content-Type");
    if (!type || !COMPRESSIBLE_CONTENT_TYPE_REGEX.test(type)) return;
    if (/(?:^|,)\s*no-transform\s*(?:,|$)/i.test(h.get("Cache-Control") ?? "")) return;
    const length = h.get("Content-Length");
    if (length !== null && Number(length) < COMPRESS_THRESHOLD) return;
    varyOnAcceptEncoding(h);
    const site = c.req.header("sec-fetch-site");
    if (site === "cross-site" || site === "same-site") return;
    if (negotiateEncoding(c.req.header("accept-encoding"), ["gzip"]) !== "gzip") return;
    if (!res.body) return;

    const head = await readUpTo(res.body, WHOLE_BODY_LIMIT);
    let coded: Response;
    if (head.rest === null) {
      if (head.bytes.length < COMPRESS_THRESHOLD) {
        c.res = new Response(head.bytes, res);
        c.res.headers.set("Content-Length", String(head.bytes.length));
        return;
      }
      const gz = gzipSync(head.bytes, { level: 6 }) as Uint8Array<ArrayBuffer>;
      coded = new Response(gz, res);
      coded.headers.set("Content-Length", String(gz.length));
    } else {
      const stream = prepend(head.bytes, head.rest) as ReadableStream<Uint8Array<ArrayBuffer>>;
      coded = new Response(stream.pipeThrough(new CompressionStream("gzip")), res);
      coded.headers.delete("Content-Length");
    }
    coded.headers.set("Content-Encoding", "gzip");
    const etag = coded.headers.get("ETag");
    if (etag && !etag.startsWith("W/")) coded.headers.set("ETag", `W/${etag}`);
    c.res = coded;
    // Hono's res setter copied the old headers over the new response's: put ours back.
    for (const name of ["Content-Length", "Content-Encoding", "ETag"]) {
      const v = coded.headers.get(name);
      if (v === null) c.res.headers.delete(name);
      else c.res.headers.set(name, v);
    }
  };
}

/** Reads `body` whole when it holds at most `limit` bytes (rest: null), else stops there. */
async function readUpTo(
  body: ReadableStream<Uint8Array>,
  limit: number,
): Promise<{ bytes: Uint8Array<ArrayBuffer>; rest: ReadableStreamDefaultReader<Uint8Array> | null }> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size <= limit) {
    const { done, value } = await reader.read();
    if (done) return { bytes: concat(chunks, size), rest: null };
    chunks.push(value);
    size += value.length;
  }
  return { bytes: concat(chunks, size), rest: reader };
}

function concat(chunks: Uint8Array[], size: number): Uint8Array<ArrayBuffer> {
  if (chunks.length === 1 && chunks[0].buffer instanceof ArrayBuffer) return chunks[0] as Uint8Array<ArrayBuffer>;
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function prepend(head: Uint8Array, rest: ReadableStreamDefaultReader<Uint8Array>): ReadableStream<Uint8Array> {
  let first = true;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (first) {
        first = false;
        controller.enqueue(head);
        return;
      }
      const { done, value } = await rest.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason) {
      return rest.cancel(reason);
    },
  });
}

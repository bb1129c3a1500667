// Serves a finished recording with HTTP Range (RFC 9110 §14): one byte range answers 206 with
// Content-Range, none answers 200, a range past the end 416. Players seek with ranges, and the web
// app passes the Range header through when it streams a download to a person.

/** Parses a single `bytes=` range against a file of `size` bytes; null = whole file, "invalid" = 416. */
export function parseRange(header: string | null, size: number): { start: number; end: number } | null | "invalid" {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  // Several ranges or another unit: answered with the whole file, as the RFC allows.
  if (!m || (!m[1] && !m[2])) return null;
  let start: number;
  let end: number;
  if (!m[1]) {
    const suffix = Number(m[2]);
    if (suffix === 0) return "invalid";
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
  }
  if (start >= size || start > end) return "invalid";
  return { start, end };
}

/** A Response with the file (or its requested range) streamed from disk. */
export async function serveFile(path: string, range: string | null, contentType: string): Promise<Response> {
  const file = await Deno.open(path, { read: true });
  const size = (await file.stat()).size;
  const r = parseRange(range, size);
  const headers: Record<string, string> = { "content-type": contentType, "accept-ranges": "bytes" };
  if (r === "invalid") {
    file.close();
    return new Response(null, { status: 416, headers: { ...headers, "content-range": `bytes */${size}` } });
  }
  const start = r?.start ?? 0;
  const end = r?.end ?? size - 1;
  await file.seek(start, Deno.SeekMode.Start);
  let left = end - start + 1;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (left <= 0) {
        file.close();
        controller.close();
        return;
      }
      const buf = new Uint8Array(Math.min(64 * 1024, left));
      const n = await file.read(buf);
      if (n === null) {
        file.close();
        controller.close();
        return;
      }
      left -= n;
      controller.enqueue(buf.subarray(0, n));
    },
    cancel() {
      file.close();
    },
  });
  headers["content-length"] = String(end - start + 1);
  if (r) headers["content-range"] = `bytes ${start}-${end}/${size}`;
  return new Response(body, { status: r ? 206 : 200, headers });
}

// A tiny static file server for bench/join.ts: serves the official Janus demo pages (Debian's
// janus-demos, /usr/share/janus/demos, whose javascript/ folder is a symlink to /usr/share/javascript)
// inside the benchmark's network namespace, with files from an override folder taking precedence
// (the bench writes its own settings.js there).
//
//   deno run -A bench/support/static_server.ts ROOT OVERRIDES HOST PORT

const [root, overrides, hostname, port] = Deno.args;
if (!root || !overrides || !hostname || !port) {
  console.error("usage: static_server.ts ROOT OVERRIDES HOST PORT");
  Deno.exit(2);
}

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  json: "application/json",
  map: "application/json",
  png: "image/png",
  ico: "image/x-icon",
  svg: "image/svg+xml",
  webp: "image/webp",
  woff: "font/woff",
  woff2: "font/woff2",
  ttf: "font/ttf",
  eot: "application/vnd.ms-fontobject",
  otf: "font/otf",
};

async function read(path: string): Promise<Uint8Array<ArrayBuffer> | null> {
  for (const base of [overrides, root]) {
    try {
      return await Deno.readFile(`${base}${path}`);
    } catch { /* next */ }
  }
  return null;
}

Deno.serve(
  { hostname, port: Number(port), onListen: () => console.log(`static server on ${hostname}:${port}`) },
  async (req) => {
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url).pathname);
    } catch {
      return new Response("bad path", { status: 400 });
    }
    if (path.endsWith("/")) path += "index.html";
    if (path.split("/").includes("..") || path.includes("\0")) return new Response("forbidden", { status: 403 });
    const data = await read(path);
    if (!data) return new Response("not found", { status: 404 });
    const ext = path.slice(path.lastIndexOf(".") + 1).toLowerCase();
    return new Response(data, {
      headers: { "content-type": TYPES[ext] ?? "application/octet-stream", "cache-control": "no-cache" },
    });
  },
);

// A local HTTPS push service for notice tests (certificates from ./tls.ts): it records every
// request (path, headers, body) and answers `state.status` (201 unless a test changes it).

export interface PushRequest {
  path: string;
  headers: Headers;
  body: Uint8Array;
}

export function startPushService(tls: { cert: string; key: string }, status = 201) {
  const requests: PushRequest[] = [];
  const state = { status };
  const ac = new AbortController();
  const { promise: port, resolve } = Promise.withResolvers<number>();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: tls.cert,
    key: tls.key,
    signal: ac.signal,
    onListen: ({ port }) => resolve(port),
  }, async (req) => {
    // Copied: a served request's headers are unreadable once the response went out.
    requests.push({
      path: new URL(req.url).pathname,
      headers: new Headers(req.headers),
      body: new Uint8Array(await req.arrayBuffer()),
    });
    return new Response(state.status >= 400 ? "push service trouble" : null, { status: state.status });
  });
  return {
    port,
    requests,
    state,
    async close() {
      ac.abort();
      await server.finished;
    },
  };
}

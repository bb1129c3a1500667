// The storage port's conformance suite (store_conformance.ts) against Deno KV, the only adapter
// today: in memory, as the tests use it, and in a sqlite file, as a self-hosted server does.

import { storeConformance } from "./store_conformance.ts";

storeConformance("Deno KV :memory:", () => Deno.openKv(":memory:"));

storeConformance("Deno KV sqlite file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "talkspace_store_" });
  const kv = await Deno.openKv(`${dir}/kv.sqlite3`);
  const close = kv.close.bind(kv);
  // The file goes with the store (the suite closes each store exactly once).
  return Object.assign(kv, {
    close() {
      close();
      Deno.removeSync(dir, { recursive: true });
    },
  });
});

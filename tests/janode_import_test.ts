// janode (the Janus client the gateway uses) must load under Deno. It imports the native
// `unix-dgram` at load time; package.json's `overrides` swaps in our pure-JS stand-in
// (packages/unix-dgram-2.0.6-talkspace.1.tgz), whose createSocket refuses with a clear error.

import assert from "node:assert/strict";
import Janode from "janode";
import { createSocket } from "unix-dgram";

const NODE_MODULES = new URL("../node_modules/", import.meta.url);

async function exists(url: URL): Promise<boolean> {
  try {
    await Deno.stat(url);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

Deno.test("janode imports under Deno and exposes connect()", () => {
  assert.ok(typeof Janode.connect === "function", `Janode.connect is ${typeof Janode.connect}, not a function`);
});

Deno.test("the only unix-dgram installed is Talkspace's stand-in", async () => {
  const pkg = JSON.parse(await Deno.readTextFile(new URL("unix-dgram/package.json", NODE_MODULES)));
  assert.ok(pkg.version === "2.0.6-talkspace.1", `node_modules/unix-dgram is ${pkg.version}, not the stand-in`);
  // janode resolves `unix-dgram` from its own folder first: a nested copy would be the native one.
  const nested = new URL("janode/node_modules/unix-dgram/", NODE_MODULES);
  assert.ok(!(await exists(nested)), "janode has its own nested unix-dgram (is the override in package.json gone?)");
});

Deno.test("the stand-in's createSocket refuses with a clear error", () => {
  let error: unknown = null;
  try {
    createSocket();
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof Error, "createSocket did not throw");
  assert.ok(/not available in Talkspace/.test(error.message), `unexpected error: ${error.message}`);
});

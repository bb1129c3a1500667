// The lasting security suite (issue 12): an authorization matrix over every registered route and
// every meeting-socket message, against the real app on a real (in-memory) KV, plus the abuse cases
// that held when the install was probed and must keep holding. A new route or socket message fails
// here until it has its row (tests/security/route_matrix.ts, tests/security/socket_matrix.ts).

import assert from "node:assert/strict";
import { World } from "./security/world.ts";
import { inventory, missingRows, runRouteMatrix } from "./security/routes.ts";
import { ROUTE_MATRIX } from "./security/route_matrix.ts";

Deno.test("security: authorization matrix over every route", async (t) => {
  const w = await World.create();
  try {
    await t.step("inventory: every registered route has a row, every row a route", () => {
      const inv = inventory(w.t.app);
      assert.deepEqual(inv.unguarding, [], "ALL entries that guard no route (treat them as routes)");
      const problems = missingRows(inv.handlers);
      assert.deepEqual(problems, [], problems.join("\n"));
      console.log(
        `routes: ${inv.handlers.length} handlers, ${inv.middleware.length} middleware entries ignored, ` +
          `${ROUTE_MATRIX.length} rows`,
      );
    });

    await t.step("matrix: each actor gets the answer its row names", async () => {
      const result = await runRouteMatrix(w);
      console.log(`matrix: ${result.rows} rows, ${result.checks} actor checks, ${result.csrfChecks} CSRF probes`);
      assert.deepEqual(
        result.mismatches,
        [],
        `${result.mismatches.length} mismatches:\n${result.mismatches.join("\n")}`,
      );
    });
  } finally {
    await w.close();
  }
});

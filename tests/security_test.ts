// The lasting security suite (issue 12): an authorization matrix over every registered route and
// every meeting-socket message, against the real app on a real (in-memory) KV, plus the abuse cases
// that held when the install was probed and must keep holding. A new route or socket message fails
// here until it has its row (tests/security/route_matrix.ts, tests/security/socket_matrix.ts).

import assert from "node:assert/strict";
import { World } from "./security/world.ts";
import { inventory, missingRows, runRouteMatrix } from "./security/routes.ts";
import { ROUTE_MATRIX } from "./security/route_matrix.ts";
import { clientMessageTypes, missingSocketRows, runSocketAbuse, runSocketMatrix } from "./security/sockets.ts";
import { SOCKET_MATRIX } from "./security/socket_matrix.ts";
import { HOST_ACTIONS } from "../lib/contracts/meeting_socket.ts";
import { corsHolds, markupEscaped, secretsAbsent } from "./security/abuse.ts";

Deno.test("security: authorization matrix over every route", async (t) => {
  const w = await World.create();
  try {
    await t.step("inventory: every registered route has a row, every row a route", () => {
      const inv = inventory(w.t.app);
      assert.deepEqual(inv.unguarding, [], "ALL entries that guard no route (treat them as routes)");
      const problems = missingRows(inv.handlers);
      assert.deepEqual(problems, [], problems.join("\n"));
      // Ignored: Hono's ALL entries are `app.use` middleware (the app's five on /*, and the guards
      // requireUser/requireBrowserSession/requireAdmin/noStore/requireDevelopment/the internal
      // signature gate on the prefixes they protect); each guards at least one handler checked here.
      const ignored = [...new Set(inv.middleware.map((m) => m.path))].join(" ");
      console.log(
        `routes: ${inv.handlers.length} handlers, ${ROUTE_MATRIX.length} rows; middleware ignored: ${ignored}`,
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

    await t.step(
      "socket inventory: every client message type has a row; non-hosts are refused every host action",
      () => {
        const problems = missingSocketRows();
        assert.deepEqual(problems, [], problems.join("\n"));
        for (const action of HOST_ACTIONS) {
          const refused = SOCKET_MATRIX.some((r) =>
            r.type === action && r.expect.participant === "forbidden" && r.expect.guest === "forbidden"
          );
          assert.ok(refused, `no row checks that participants and guests are refused "${action}"`);
        }
        console.log(`socket: ${clientMessageTypes().length} client message types, ${SOCKET_MATRIX.length} rows`);
      },
    );

    await t.step("socket matrix: each role gets what its row names", async () => {
      const result = await runSocketMatrix(w);
      console.log(`socket matrix: ${result.rows} rows, ${result.checks} role checks`);
      assert.deepEqual(result.mismatches, [], result.mismatches.join("\n"));
    });

    await t.step(
      "socket abuse: malformed input closes 4400, a lobby socket only pings, a removed guest is refused",
      async () => {
        const result = await runSocketAbuse(w);
        console.log(`socket abuse: ${result.checks} checks`);
        assert.deepEqual(result.mismatches, [], result.mismatches.join("\n"));
      },
    );

    await t.step("held: a meeting title's markup is escaped on every page that shows it", async () => {
      const found = await markupEscaped(w);
      assert.deepEqual(found.problems, [], found.problems.join("\n"));
    });

    await t.step("held: no CORS grant for other origins; no cross-site socket", async () => {
      const found = await corsHolds(w);
      assert.deepEqual(found.problems, [], found.problems.join("\n"));
    });

    await t.step("held: no collected response, socket message or log line shows a secret", () => {
      w.collectSocketsAndLogs();
      const found = secretsAbsent(w);
      console.log(`secret scan: ${w.bodies.length} bodies × ${w.secrets.size} secrets, ${found.checks} checks`);
      assert.deepEqual(found.problems, [], found.problems.join("\n"));
    });
  } finally {
    await w.close();
  }
});

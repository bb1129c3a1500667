// The storage rule, kept by a test: KV is read and written only by each capability's store modules
// (and the adapter in lib/common), never by domain logic, the HTTP layer or routes. A new KV call
// elsewhere fails here, naming the file and line; move it into a store function, or, if the module
// really is a store module, add it to STORE_MODULES.

import assert from "node:assert/strict";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";

/** Areas the rule is enforced in. */
const ENFORCED = [
  "lib/common/",
  "lib/accounts/",
  "lib/contracts/",
  "lib/email/",
  "lib/meetings/",
  "lib/reminders/",
  "lib/scheduling/",
  "lib/telephony/",
  "lib/web/",
  "routes/",
  "main.ts",
];

/** The modules allowed to touch the store: one entry per store module, a reason after each group. */
const STORE_MODULES = [
  // lib/common: the Deno KV adapter and commit helpers, the port's conformance suite, its own records.
  "lib/common/kv.ts",
  "lib/common/store_conformance.ts",
  "lib/common/rate_limit.ts",
  "lib/common/server_secret.ts",
  // accounts: record stores.
  "lib/accounts/users.ts",
  "lib/accounts/sessions.ts",
  "lib/accounts/api_tokens.ts",
  "lib/accounts/one_time_tokens.ts",
  "lib/accounts/recovery_codes.ts",
  "lib/accounts/totp_steps.ts",
  "lib/accounts/audit.ts",
  // scheduling: schedules with their invitee indexes, and calendar-feed tokens.
  "lib/scheduling/schedule.ts",
  "lib/scheduling/feed_store.ts",
  // email: the development outbox is its own store.
  "lib/email/outbox.ts",
  // reminders: record stores (plans, channels and markers in store.ts) and the queue consumer.
  "lib/reminders/subscriptions.ts",
  "lib/reminders/prefs.ts",
  "lib/reminders/vapid.ts",
  "lib/reminders/background.ts",
  "lib/reminders/store.ts",
  // meetings: record stores (meetings and their indexes, admissions and the lobby, participants,
  // attendance, chat history) and the message log; hub, join, lobby and controls hold the rules.
  "lib/meetings/store.ts",
  "lib/meetings/admissions.ts",
  "lib/meetings/participants.ts",
  "lib/meetings/attendance.ts",
  "lib/meetings/chat.ts",
  "lib/meetings/events.ts",
  // telephony: call records, the dial-in guard's counters and resolve's one read.
  "lib/telephony/store.ts",
];

const ACCESS = [
  /\.atomic\s*\(/,
  /\bDeno\.openKv\s*\(/,
  /\.(listenQueue|getMany)\s*[<(]/,
  /\bkv\??\.(get|list|set|delete|enqueue|watch)\s*[<(]/,
];

/** The lines of `source` (comments removed) that access KV, as "line: text". */
export function kvAccesses(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, " ")).replace(/\/\/.*$/gm, "");
  return code.split("\n").flatMap((line, i) => ACCESS.some((re) => re.test(line)) ? [`${i + 1}: ${line.trim()}`] : []);
}

const root = fileURLToPath(new URL("..", import.meta.url));

async function* sourceFiles(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) yield* sourceFiles(path);
    else if (/\.tsx?$/.test(e.name) && !/_test\.tsx?$/.test(e.name)) yield path;
  }
}

Deno.test("the scanner finds KV access and ignores it in comments", () => {
  const found = kvAccesses([
    "// kv.get(key) in a comment",
    "/* await kv.atomic().commit() */",
    "const x = await kv.get<User>(keys.user(id));",
    "const op = deps.kv.atomic();",
    "for await (const e of kv.list({ prefix })) {}",
    "await Deno.openKv(path);",
    "const v = headers.get('x'); map.set(1, 2);",
  ].join("\n"));
  assert.deepEqual(found.map((f) => f.split(":")[0]), ["3", "4", "5", "6"]);
});

Deno.test("KV is accessed only from the store modules (in the enforced areas)", async () => {
  const offenders: string[] = [];
  for (const area of ["lib", "routes"]) {
    for await (const path of sourceFiles(`${root}${area}`)) {
      const rel = relative(root, path);
      if (!ENFORCED.some((a) => rel.startsWith(a)) || STORE_MODULES.includes(rel)) continue;
      for (const hit of kvAccesses(await Deno.readTextFile(path))) offenders.push(`${rel}:${hit}`);
    }
  }
  const main = await Deno.readTextFile(`${root}main.ts`);
  for (const hit of kvAccesses(main)) offenders.push(`main.ts:${hit}`);
  assert.deepEqual(offenders, [], `KV accessed outside a store module:\n${offenders.join("\n")}`);
});

Deno.test("every listed store module exists and its header comment says it is a store module", async () => {
  for (const path of STORE_MODULES) {
    const lines = (await Deno.readTextFile(`${root}${path}`)).split("\n");
    const head = lines.slice(0, lines.findIndex((l) => !l.startsWith("//"))).join(" ");
    assert.match(head, /store module|storage port|KV adapter/i, `${path}: its header should say it is a store module`);
  }
});

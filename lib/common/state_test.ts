import assert from "node:assert/strict";
import { transitionTable } from "./state.ts";

type Light = "red" | "green" | "amber" | "off";
const light = transitionTable<Light>("traffic light", {
  red: ["green", "off"],
  green: ["amber", "off"],
  amber: ["red", "off"],
  off: [],
});

Deno.test("transitionTable: allowed moves return the new state, others throw naming the machine and both states", () => {
  assert.equal(light.check("red", "green"), "green");
  assert.equal(light.allows("green", "amber"), true);
  assert.equal(light.allows("green", "red"), false);
  assert.throws(() => light.check("green", "red", "north"), {
    message: "traffic light north: invalid transition green → red",
  });
  assert.throws(() => light.check("off", "red"), { message: "traffic light: invalid transition off → red" });
});

Deno.test("transitionTable: a target that is not a state of the table is refused when the table is made", () => {
  assert.throws(() => transitionTable<string>("broken", { a: ["b"] }), {
    message: "broken: transition a → b names an unknown state",
  });
});

// Checked state transitions for the explicit state machines (calls, dialogs, SIP transactions, rooms,
// the Janus link, the SIP bridge), in the manner of SIP.js's SessionState: each machine lists where
// every state may go, and a move anywhere else throws with the machine and both states named.

/** Where each state may go; a state with `[]` is final. */
export type TransitionTable<S extends string> = { readonly [K in S]: readonly S[] };

/** One machine's transition table and its check. */
export interface Transitions<S extends string> {
  /** The machine's name, as it appears in errors ("SIP bridge", "INVITE client transaction"). */
  readonly machine: string;
  readonly table: TransitionTable<S>;
  /** Whether `to` is reachable from `from` in one step. */
  allows(from: S, to: S): boolean;
  /**
   * Throws unless `to` is reachable from `from`; `instance` (a call id, a meeting id) goes in the
   * error after the machine's name. Returns `to`, so `this.state = t.check(this.state, next)` reads well.
   */
  check(from: S, to: S, instance?: string): S;
}

/** A machine's transitions, checked: `transitionTable("dialog", { early: ["confirmed"], confirmed: [] })`. */
export function transitionTable<S extends string>(machine: string, table: TransitionTable<S>): Transitions<S> {
  for (const [from, targets] of Object.entries(table) as [S, readonly S[]][]) {
    for (const to of targets) {
      if (!(to in table)) throw new Error(`${machine}: transition ${from} → ${to} names an unknown state`);
    }
  }
  return {
    machine,
    table,
    allows: (from, to) => table[from].includes(to),
    check(from, to, instance) {
      if (!table[from].includes(to)) {
        throw new Error(`${machine}${instance ? ` ${instance}` : ""}: invalid transition ${from} → ${to}`);
      }
      return to;
    },
  };
}

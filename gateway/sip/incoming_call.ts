// The UAS half of a call: an INVITE we received, answered or refused by call control, with CANCEL
// and early-dialog BYE handled as RFC 3261 §9.2 and §15.1.2 say.

import { Dialog, newTag } from "./dialog.ts";
import { ALLOWED_METHODS, buildResponse, parseSdp, type Sdp, type SipRequest } from "./message.ts";
import type { InviteServerTransaction } from "./transaction.ts";
import type { Peer } from "./transport.ts";
import { type CallHost, type CallState, type EndReason, type Party, party, SipCall } from "./call.ts";
import { transitionTable } from "../../lib/common/state.ts";

const INCOMING = transitionTable<CallState>("incoming SIP call", {
  offered: ["ringing", "answering", "ended"],
  ringing: ["answering", "ended"],
  answering: ["confirmed", "ended"],
  confirmed: ["ended"],
  calling: [],
  answered: [],
  ended: [],
});

/** An INVITE we received. The handler decides: ringing(), answer(sdp) or reject(status). */
export class IncomingCall extends SipCall {
  state: CallState = "offered";
  protected transitions = INCOMING;
  readonly localTag = newTag();
  readonly requestUri: { uri: string; user: string | null; host: string };
  readonly from: Party;
  readonly to: Party;
  /** The authenticated digest user, when access control asked for one. */
  readonly authenticatedUser: string | null;

  constructor(
    host: CallHost,
    readonly invite: SipRequest,
    readonly transaction: InviteServerTransaction,
    readonly source: Peer,
    authenticatedUser: string | null,
  ) {
    super(host, invite.callId, source.transport);
    const ruri = invite.ruri!;
    this.requestUri = { uri: ruri.toString(), user: ruri.user ?? null, host: ruri.host };
    this.from = party(invite.getHeader("from"));
    this.to = party(invite.getHeader("to"));
    this.remoteSdp = invite.body ? parseSdp(invite.body) : null;
    this.authenticatedUser = authenticatedUser;
  }

  /** The caller's raw SDP offer, or null for a late offer (we offer in the 200, they answer in ACK). */
  get remoteSdpText(): string | null {
    return this.invite.body || null;
  }

  protected override pinnedPeer(): Peer | undefined {
    return this.source.transport === "tcp" ? this.source : undefined;
  }

  #respond(status: number, opts: { reason?: string; headers?: [string, string][]; body?: string } = {}): void {
    this.transaction.respond(buildResponse(this.invite, status, { toTag: this.localTag, ...opts }));
  }

  /** 100 Trying goes out as soon as the INVITE arrives; this is here for symmetry and is idempotent. */
  trying(): void {
    if (this.state === "offered" && !this.transaction.lastResponse) this.#respond(100);
  }

  /** 180 Ringing, with a Contact so the early dialog has a target. */
  ringing(): void {
    if (this.state === "ringing") return;
    this.moveTo("ringing");
    this.#ensureDialog("early");
    this.#respond(180, { headers: [["Contact", this.host.contact(this.transport)]] });
  }

  #ensureDialog(state: "early" | "confirmed"): void {
    if (!this.dialog) {
      this.dialog = Dialog.asUas(this.invite, this.localTag, this.transport, state);
      this.host.addDialog(this);
    } else if (state === "confirmed" && this.dialog.state === "early") {
      this.dialog.transition("confirmed");
    }
  }

  /**
   * Sends 200 with `localSdp` and resolves on the ACK: with the caller's answer SDP for a late offer,
   * null when the offer was in the INVITE. Rejects if the call ends first (CANCEL, no ACK).
   */
  answer(localSdp: string): Promise<Sdp | null> {
    this.moveTo("answering");
    this.#ensureDialog("confirmed");
    this.localSdp = localSdp;
    const res = buildResponse(this.invite, 200, {
      toTag: this.localTag,
      headers: [["Contact", this.host.contact(this.transport)], ["Allow", ALLOWED_METHODS.join(", ")]],
      body: localSdp,
    });
    return this.sendReliable2xx(this.transaction, res);
  }

  protected override acked(): void {
    if (this.state === "answering") this.moveTo("confirmed");
  }

  /** A final non-2xx (404, 403, 486, …) to the INVITE. */
  reject(status: number, reason?: string, extra: { headers?: [string, string][]; body?: string } = {}): void {
    if (status < 300 || status > 699) throw new Error(`reject needs a 3xx–6xx status, got ${status}`);
    if (this.state !== "offered" && this.state !== "ringing") {
      throw new Error(`IncomingCall ${this.callId}: cannot reject in state ${this.state}`);
    }
    this.#respond(status, { reason, ...extra });
    this.end("local");
  }

  hangup(): void {
    switch (this.state) {
      case "offered":
      case "ringing":
        this.reject(480);
        return;
      case "answering":
        this.byeAfterAck = true; // §15: BYE only after the ACK (or when the 2xx times out)
        this.end("local");
        return;
      case "confirmed":
        this.sendBye();
        this.end("local");
        return;
    }
  }

  /** CANCEL matched our INVITE transaction (the 200 to the CANCEL is already sent). */
  cancelled(): void {
    if (this.state !== "offered" && this.state !== "ringing") return; // too late: the 2xx won (§9.2)
    this.#respond(487);
    this.end("cancel");
  }

  protected override byeReceived(): void {
    // BYE in an early dialog: the INVITE still needs its final response (§15.1.2).
    if (this.state === "offered" || this.state === "ringing") this.#respond(487);
    this.end("bye");
  }

  protected override end(reason: EndReason): void {
    // A late ACK is still welcome after a local hangup in `answering`: keep the dialog until then.
    const keepForAck = this.byeAfterAck && this.pendingAck !== null;
    if (!keepForAck) {
      super.end(reason);
      return;
    }
    const pending = this.pendingAck!;
    this.pendingAck = null;
    super.end(reason);
    this.pendingAck = pending;
    this.host.addDialog(this);
    pending.resolve = () => this.host.removeDialog(this);
    pending.reject = () => this.host.removeDialog(this);
  }
}

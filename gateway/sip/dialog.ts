// SIP dialogs (RFC 3261 §12): identity, route set, remote target and CSeq bookkeeping, and building
// requests inside a dialog. A dialog is a state machine: early → confirmed → terminated.

import { OutgoingMessage, parseUri, type SipRequest, type SipResponse, uriOf } from "./message.ts";
import { randomHex, randomUint32 } from "../../lib/common/random.ts";
import type { TransportName } from "./transport.ts";
import { transitionTable } from "../../lib/common/state.ts";

export type DialogState = "early" | "confirmed" | "terminated";
const DIALOG = transitionTable<DialogState>("dialog", {
  early: ["confirmed", "terminated"],
  confirmed: ["terminated"],
  terminated: [],
});

export function dialogKey(callId: string, localTag: string, remoteTag: string): string {
  return `${callId}|${localTag}|${remoteTag}`;
}

/** A fresh initial local CSeq (§8.1.1.5: below 2^31; random so restarts do not collide). */
export function initialSeq(): number {
  return 1 + (randomUint32() % 100_000);
}

export class Dialog {
  state: DialogState;
  localSeq: number;
  remoteSeq: number | null;

  private constructor(
    readonly callId: string,
    readonly localTag: string,
    public remoteTag: string,
    /** Our From (requests we send) including tag. */
    readonly localParty: string,
    /** Their To (requests we send) including tag. */
    public remoteParty: string,
    public remoteTarget: string,
    readonly routeSet: string[],
    readonly transport: TransportName,
    state: DialogState,
    localSeq: number,
    remoteSeq: number | null,
  ) {
    this.state = state;
    this.localSeq = localSeq;
    this.remoteSeq = remoteSeq;
  }

  get key(): string {
    return dialogKey(this.callId, this.localTag, this.remoteTag);
  }

  transition(next: DialogState): void {
    this.state = DIALOG.check(this.state, next, this.callId);
  }

  /** §12.1.1: the UAS side, from the INVITE and the response that creates the dialog. */
  static asUas(invite: SipRequest, localTag: string, transport: TransportName, state: DialogState): Dialog {
    const contact = invite.getHeader("contact");
    return new Dialog(
      invite.callId,
      localTag,
      invite.fromTag ?? "",
      `${invite.getHeader("to")};tag=${localTag}`,
      invite.getHeader("from") ?? "",
      contact ? uriOf(contact) : invite.ruri!.toString(),
      invite.getHeaders("record-route"),
      transport,
      state,
      initialSeq(),
      invite.cseq,
    );
  }

  /** §12.1.2: the UAC side, from our INVITE and a response with a To-tag. */
  static asUac(invite: OutgoingMessage, res: SipResponse, transport: TransportName, state: DialogState): Dialog {
    const contact = res.getHeader("contact");
    const fromValue = invite.header("From")!;
    const localTag = /;\s*tag=([^;\s]+)/i.exec(fromValue)?.[1] ?? "";
    return new Dialog(
      res.callId,
      localTag,
      res.toTag ?? "",
      fromValue,
      res.getHeader("to") ?? "",
      contact ? uriOf(contact) : invite.startLine.split(" ")[1],
      res.getHeaders("record-route").reverse(),
      transport,
      state,
      Number(invite.header("CSeq")!.split(/\s+/)[0]),
      null,
    );
  }

  /** A 2xx to our INVITE updates the target and remote tag of an early dialog (§12.1.2, §13.2.2.4). */
  confirmFromResponse(res: SipResponse): void {
    const contact = res.getHeader("contact");
    if (contact) this.remoteTarget = uriOf(contact);
    this.remoteParty = res.getHeader("to") ?? this.remoteParty;
    if (this.state === "early") this.transition("confirmed");
  }

  /**
   * §12.2.2: an in-dialog request with a lower CSeq than the last one is out of order (500).
   * Records the new CSeq and the target refresh (re-INVITE Contact).
   */
  acceptRemote(req: SipRequest): boolean {
    if (req.method === "ACK" || req.method === "CANCEL") return true;
    if (this.remoteSeq !== null && req.cseq < this.remoteSeq) return false;
    this.remoteSeq = req.cseq;
    const contact = req.method === "INVITE" ? req.getHeader("contact") : undefined;
    if (contact) this.remoteTarget = uriOf(contact);
    return true;
  }

  /** The URI the next request physically goes to: the first route (loose routing) or the target. */
  nextHop(): string {
    return this.routeSet.length > 0 ? uriOf(this.routeSet[0]) : this.remoteTarget;
  }

  /**
   * Builds an in-dialog request (§12.2.1.1). ACK reuses the INVITE's CSeq number (`seq`);
   * the caller adds the top Via and sends it in a transaction (or, for ACK, directly).
   */
  request(
    method: string,
    via: string,
    contact: string,
    opts: { seq?: number; body?: string; contentType?: string } = {},
  ) {
    let seq = opts.seq;
    if (seq === undefined) seq = ++this.localSeq;
    let ruri = this.remoteTarget;
    const routes = [...this.routeSet];
    // A first route without ;lr is a strict router (§12.2.1.1): it goes in the Request-URI.
    if (routes.length > 0 && !/;\s*lr\b/i.test(uriOf(routes[0]))) {
      ruri = uriOf(routes.shift()!);
      routes.push(`<${this.remoteTarget}>`);
    }
    const req = new OutgoingMessage(`${method} ${ruri} SIP/2.0`);
    req.addHeader("Via", via);
    for (const r of routes) req.addHeader("Route", r);
    req.addHeader("Max-Forwards", "70");
    req.addHeader("From", this.localParty);
    req.addHeader("To", this.remoteParty);
    req.addHeader("Call-ID", this.callId);
    req.addHeader("CSeq", `${seq} ${method}`);
    if (method === "INVITE" || method === "ACK") req.addHeader("Contact", contact);
    if (opts.body) {
      req.addHeader("Content-Type", opts.contentType ?? "application/sdp");
      req.body = opts.body;
    }
    return req;
  }
}

/** A new local tag (§19.3: at least 32 bits of randomness). */
export function newTag(): string {
  return randomHex(6);
}

/** Host, port and transport of a SIP URI, for sending; null when it does not parse. */
export function uriTarget(
  uri: string,
  fallback: TransportName,
): { host: string; port: number; transport: TransportName } | null {
  const parsed = parseUri(uri.startsWith("sip") ? uri : `sip:${uri}`);
  if (!parsed) return null;
  const t = String(parsed.getParam("transport") ?? fallback).toLowerCase();
  const transport: TransportName = t === "tcp" ? "tcp" : "udp";
  return { host: parsed.host.replace(/^\[|\]$/g, ""), port: parsed.port ?? 5060, transport };
}

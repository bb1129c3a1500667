// The security suite's world: one real app on an in-memory KV (served on loopback too, for the
// meeting socket), the actors of the authorization matrix with their own client addresses, and the
// resources rows need (meetings, schedules, tokens, devices, feeds), created through the product's
// own flows where that is cheap. Every response body a row fetches is kept for the secret scan.

import { activeEntry, newRecording, type Recording, writeStart } from "../../lib/recordings/store.ts";
import { makeRecording } from "../support/recordings.ts";
import { commitOrThrow } from "../../lib/common/kv.ts";
import assert from "node:assert/strict";
import { makeTestApp, TestClient } from "../support/app.ts";
import type { TestApp } from "../support/app.ts";
import { cookieHeader, Peer } from "../support/meeting_sockets.ts";
import type { Msg } from "../support/meeting_sockets.ts";
import { createUser, getUser, updateUser } from "../../lib/accounts/users.ts";
import type { User } from "../../lib/accounts/users.ts";
import { createSession } from "../../lib/accounts/sessions.ts";
import { createApiToken } from "../../lib/accounts/api_tokens.ts";
import { hashPassword } from "../../lib/accounts/password.ts";
import { totpCodeAt } from "../../lib/accounts/totp.ts";
import { hashToken } from "../../lib/common/ids.ts";
import { createMeeting } from "../../lib/meetings/store.ts";
import { closeHub, hubFor } from "../../lib/meetings/hub.ts";
import type { Meeting } from "../../lib/meetings/store.ts";
import { deleteSubscription, listSubscriptions, saveSubscription } from "../../lib/reminders/subscriptions.ts";
import { loadVapidKeys } from "../../lib/reminders/vapid.ts";
import { getFeed } from "../../lib/scheduling/feed_store.ts";
import { setLogSink } from "../../lib/common/log.ts";
import type { LogRecord } from "../../lib/common/log.ts";
import { encodeBase64Url } from "../../lib/common/encoding.ts";

/**
 * Everyone the matrix asks. "disabled" is an account an admin disabled after it signed in (disabling
 * ends its sessions); "disabledAfter" holds a session of that account made after the disabling, so
 * only the per-request check refuses it.
 */
export const ACTORS = [
  "anon",
  "owner",
  "other",
  "admin",
  "disabled",
  "disabledAfter",
  "ownerToken",
  "otherToken",
  "adminToken",
  "disabledToken",
  "guest",
  "removedGuest",
] as const;
export type Actor = typeof ACTORS[number];

export const PASSWORD = "correct horse battery staple 42";
export const GATEWAY_SECRET = "gateway-secret-for-the-security-suite-0123456789";

type AccountActor = "owner" | "other" | "admin" | "disabled";
/** Actors that are a session of an account (the account they stand for). */
const SESSION_OF: Partial<Record<Actor, AccountActor>> = {
  owner: "owner",
  other: "other",
  admin: "admin",
  disabled: "disabled",
  disabledAfter: "disabled",
};
const TOKEN_OF: Partial<Record<Actor, AccountActor>> = {
  ownerToken: "owner",
  otherToken: "other",
  adminToken: "admin",
  disabledToken: "disabled",
};

/** A client that sends one API token with every request (and never a session cookie). */
export class TokenClient extends TestClient {
  constructor(app: TestApp["app"], origin: string, readonly secret: string) {
    super(app, origin);
  }
  override request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set("authorization", `Bearer ${this.secret}`);
    this.cookies.clear();
    return super.request(path, { ...init, headers });
  }
}

/** Each actor comes from its own address (TRUST_PROXY), so per-address limits and blocks stay theirs. */
class AddressedClient extends TestClient {
  constructor(app: TestApp["app"], origin: string, readonly address: string) {
    super(app, origin);
  }
  override request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (!headers.has("x-forwarded-for")) headers.set("x-forwarded-for", this.address);
    return super.request(path, { ...init, headers });
  }
}

export interface Collected {
  where: string;
  body: string;
  headers: string;
}

export class World {
  readonly users = {} as Record<AccountActor, User>;
  readonly clients = {} as Record<Actor, TestClient>;
  readonly tokens = {} as Record<AccountActor, { id: string; secret: string }>;
  /** Values that must never appear in a response body (the secret scan). */
  readonly secrets = new Map<string, string>();
  readonly bodies: Collected[] = [];
  readonly logs: LogRecord[] = [];
  /** The owner's instant meeting (no lobby): the guest and the removed guest were admitted to it. */
  meeting!: Meeting;
  /** The owner's weekly scheduled meeting with one invitee. */
  scheduled!: { meetingId: string; start: string };
  rsvpToken!: string;
  hostSocket!: Peer;
  server!: Deno.HttpServer<Deno.NetAddr>;
  #addresses = 10;
  #seq = 0;

  private constructor(readonly t: TestApp, readonly passwordHash: string) {}

  static async create(): Promise<World> {
    const t = await makeTestApp({ GATEWAY_SECRET, TRUST_PROXY: "1" });
    const w = new World(t, await hashPassword(PASSWORD));
    // Every log line (info too) is kept for the secret scan: secrets stay out of logs as well.
    setLogSink((record) => w.logs.push(record));
    try {
      await w.#setup();
    } catch (err) {
      await w.close();
      throw err;
    }
    return w;
  }

  get kv() {
    return this.t.kv;
  }

  /** A new client from a new address. */
  browser(): TestClient {
    return new AddressedClient(this.t.app, this.t.origin, `198.51.100.${this.#addresses++}`);
  }

  /** A unique suffix for names and emails. */
  next(): number {
    return ++this.#seq;
  }

  /**
   * A new account with a confirmed email (scheduling with invitees needs one): an admin when asked,
   * otherwise a plain user (the first account of a server becomes admin by itself). "disabled" is
   * only a name here; `disable` does the disabling, after the account has its sessions.
   */
  async account(kind: "user" | "admin" | "disabled", name = `${kind}${this.next()}`): Promise<User> {
    let user = await createUser(this.kv, {
      name,
      email: `${name.toLowerCase()}@example.org`,
      passwordHash: this.passwordHash,
    });
    user = (await updateUser(this.kv, user.id, () => ({
      emailVerified: true,
      ...(kind === "admin" ? { role: "admin" as const } : {}),
      ...(kind !== "admin" && user.role === "admin" ? { role: "user" as const } : {}),
    })))!;
    return user;
  }

  async sessionClient(user: User): Promise<TestClient> {
    const client = this.browser();
    const session = await createSession(this.kv, user.id, "full");
    client.cookies.set("ts_session", session.token);
    const n = this.next();
    this.secrets.set(`session cookie ${n} of ${user.name}`, session.token);
    this.secrets.set(`session hash ${n} of ${user.name}`, await hashToken(session.token));
    return client;
  }

  async tokenClient(user: User): Promise<TokenClient> {
    const created = await createApiToken(this.kv, user.id, `token ${this.next()}`);
    this.secrets.set(`API token ${created.token.id} of ${user.name}`, created.secret);
    this.secrets.set(`API token hash ${created.token.id} of ${user.name}`, await hashToken(created.secret));
    return new TokenClient(this.t.app, this.t.origin, created.secret);
  }

  /** Disables `user` the way an admin does, through the admin page. */
  async disable(user: User): Promise<void> {
    const res = await this.clients.admin.postForm(`/admin/users/${user.id}/disable`, {});
    const body = await res.text();
    assert.equal(res.status, 303, `the admin could not disable an account: ${res.status} ${body.slice(-600)}`);
    assert.equal((await getUser(this.kv, user.id))?.disabled, true);
  }

  /**
   * An actor minted afresh (same kind, new account and credentials) for rows that sign out, change
   * the password or delete the account. Guests are not accounts, so they stay the world's.
   */
  async freshActor(actor: Actor): Promise<TestClient> {
    if (actor === "anon") return this.browser();
    if (actor === "guest" || actor === "removedGuest") return this.clients[actor];
    const base = TOKEN_OF[actor] ?? SESSION_OF[actor]!;
    const kind = base === "admin" ? "admin" : base === "disabled" ? "disabled" : "user";
    const user = await this.account(kind);
    if (actor === "disabledAfter") {
      await this.disable(user);
      return await this.sessionClient(user);
    }
    const client = TOKEN_OF[actor] ? await this.tokenClient(user) : await this.sessionClient(user);
    if (base === "disabled") await this.disable(user);
    return client;
  }

  /** A new instant meeting of the owner (for rows that end it, or must not be touched twice). */
  async freshMeeting(title = "Fresh meeting"): Promise<Meeting> {
    return await createMeeting(this.kv, { hostId: this.users.owner.id, title, settings: { lobby: false } });
  }

  /** A recording of a new meeting of the owner, running or ready (written as the service would). */
  async freshRecording(state: "recording" | "ready"): Promise<Recording> {
    const meeting = await this.freshMeeting("Recorded");
    const rec = newRecording({
      meetingId: meeting.meetingId,
      meetingRecordId: meeting.id,
      ownerId: meeting.hostId,
      title: meeting.title,
      startedBy: meeting.hostId,
    });
    if (state === "ready") return await makeRecording(this.kv, meeting, { durationSeconds: 60, sizeBytes: 1 });
    await commitOrThrow(writeStart(this.kv.atomic(), await activeEntry(this.kv, meeting.meetingId), rec), "fixture");
    return rec;
  }

  /** A new meeting of the owner where guests wait in the lobby. */
  async createLobbyMeeting(): Promise<Meeting> {
    return await createMeeting(this.kv, { hostId: this.users.owner.id, title: "Lobby", settings: { lobby: true } });
  }

  /** A new weekly scheduled meeting of the owner, made through the API; its first occurrence. */
  async freshScheduled(extra: Record<string, unknown> = {}): Promise<{ meetingId: string; start: string }> {
    const res = await this.ownerApi().sendJson("POST", "/api/v1/meetings", {
      title: "Weekly sync",
      startsAt: new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10) + "T09:00",
      timeZone: "Europe/Berlin",
      durationMinutes: 30,
      recurrence: "FREQ=WEEKLY;COUNT=10",
      ...extra,
    });
    const body = await res.json();
    assert.equal(res.status, 201, `scheduling failed: ${JSON.stringify(body)}`);
    const first = body.schedule.nextOccurrences[0];
    assert.ok(first, "the schedule has no occurrences");
    return { meetingId: body.meetingId, start: first.recurrenceId ?? first.start };
  }

  /** A new push device of `actor`'s account (id and endpoint). */
  async freshDevice(actor: AccountActor = "owner"): Promise<{ id: string; endpoint: string }> {
    const userId = this.users[actor].id;
    // Refused probes leave their devices behind: clear them before the per-person cap is reached.
    const existing = await listSubscriptions(this.kv, userId);
    if (existing.length >= 10) { for (const d of existing) await deleteSubscription(this.kv, userId, d.id); }
    const endpoint = `https://push.example.net/send/${actor}-${this.next()}`;
    const saved = await saveSubscription(this.kv, this.users[actor].id, await pushInput(endpoint), "Test browser");
    return { id: saved.record.id, endpoint };
  }

  /** A new API token of `actor`'s account. */
  async freshToken(actor: AccountActor = "owner"): Promise<{ id: string; secret: string }> {
    const created = await createApiToken(this.kv, this.users[actor].id, `spare ${this.next()}`);
    this.secrets.set(`spare token ${created.token.id}`, created.secret);
    return { id: created.token.id, secret: created.secret };
  }

  /** The owner's current calendar feed file name (made through the account page when missing). */
  async feedFile(): Promise<string> {
    let feed = await getFeed(this.kv, this.users.owner.id);
    if (!feed) {
      const res = await this.clients.owner.postForm("/account/calendar/regenerate", {});
      await res.body?.cancel();
      feed = await getFeed(this.kv, this.users.owner.id);
    }
    assert.ok(feed, "the owner has no calendar feed");
    return `${feed.token}.ics`;
  }

  ownerApi(): TestClient {
    return this.clients.ownerToken;
  }

  /** A guest admitted through the join form (meeting ID, passcode, name). */
  async guest(meeting: Meeting, name: string): Promise<TestClient> {
    const client = this.browser();
    const res = await client.postForm("/join", { meetingId: meeting.meetingId, passcode: meeting.passcode, name });
    await res.body?.cancel();
    assert.equal(res.status, 303, `${name} could not join`);
    return client;
  }

  wsUrl(meetingId: string): string {
    return `ws://127.0.0.1:${this.server.addr.port}/meetings/${meetingId}/ws`;
  }

  /** Opens a meeting socket with `client`'s admission and says hello; waits for welcome or lobby. */
  async socket(meetingId: string, client: TestClient): Promise<{ peer: Peer; first: Msg }> {
    const peer = new Peer(this.wsUrl(meetingId), cookieHeader(client));
    this.#peers.push(peer);
    await peer.opened;
    peer.send({ type: "hello" });
    const first = await peer.waitFor("welcome or lobby", (m) => m.type === "welcome" || m.type === "lobby");
    return { peer, first };
  }

  #peers: Peer[] = [];

  /** Everything the world's sockets received and every log line, as collected bodies for the secret scan. */
  collectSocketsAndLogs() {
    this.#peers.forEach((p, i) => this.bodies.push({ where: `socket ${i}`, body: JSON.stringify(p.got), headers: "" }));
    this.logs.forEach((r, i) =>
      this.bodies.push({ where: `log line ${i} (${r.msg})`, body: JSON.stringify(r), headers: "" })
    );
  }

  async #setup() {
    // The matrix sends a few hundred messages in a second or two, far above the per-socket flood
    // limit (which has tests of its own): the hub is made first, with that rule's number raised.
    hubFor(this.kv, { maxMessagesPerSecond: 10_000 });
    this.server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, this.t.app.fetch);
    // The first account becomes the admin; the others are plain users.
    this.users.admin = await this.account("admin", "Admin");
    this.users.owner = await this.account("user", "Owner");
    this.users.other = await this.account("user", "Other");
    this.users.disabled = await this.account("user", "Disabled");
    for (const a of ["admin", "owner", "other", "disabled"] as const) {
      this.clients[a] = await this.sessionClient(this.users[a]);
      const token = await this.tokenClient(this.users[a]);
      this.clients[`${a}Token`] = token;
    }
    this.clients.anon = this.browser();
    await this.disable(this.users.disabled);
    this.clients.disabledAfter = await this.sessionClient(this.users.disabled);
    this.secrets.set("password hash", this.passwordHash);
    this.secrets.set("gateway secret", GATEWAY_SECRET);
    const vapid = await loadVapidKeys(this.kv, this.t.config, {});
    this.secrets.set("VAPID private key", vapid.privateKey);
    await this.#enrolTotp(this.clients.other, "Other");

    // The owner's meeting, entered by the owner (host socket), a guest, and a guest the host removes.
    this.meeting = await createMeeting(this.kv, {
      hostId: this.users.owner.id,
      title: "Matrix meeting",
      settings: { lobby: false },
    });
    const page = await this.clients.owner.get(`/m/${this.meeting.meetingId}`);
    await page.body?.cancel();
    assert.equal(page.status, 303, "the host was not admitted automatically");
    this.hostSocket = (await this.socket(this.meeting.meetingId, this.clients.owner)).peer;
    this.clients.guest = await this.guest(this.meeting, "Gus");
    this.clients.removedGuest = await this.guest(this.meeting, "Rex");
    for (const g of ["guest", "removedGuest"] as const) {
      const name = g === "guest" ? "Gus" : "Rex";
      // Their admission cookies (the CSRF cookie is meant to be echoed in forms).
      for (const [k, v] of this.clients[g].cookies) if (!/csrf/.test(k)) this.secrets.set(`${name}'s cookie ${k}`, v);
    }
    const { peer: rex, first } = await this.socket(this.meeting.meetingId, this.clients.removedGuest);
    assert.equal(first.type, "welcome");
    this.hostSocket.send({ type: "remove", participantId: first.participantId });
    assert.equal((await rex.closed).code, 4004, "the removed guest's socket did not close with 4004");

    // A scheduled meeting with an invitee: the RSVP link comes from the invitation email.
    this.scheduled = await this.freshScheduled({ invitees: ["invitee@example.org"] });
    const link = this.t.mailer.link("invitee@example.org", "/rsvp/");
    this.rsvpToken = new URL(link).pathname.split("/").at(-1)!;
  }

  /** Turns on two-factor for `client`'s account through the real enrolment, keeping the secret. */
  async #enrolTotp(client: TestClient, name: string) {
    const start = await client.postForm("/account/totp", {});
    await start.body?.cancel();
    const html = await (await client.get("/account/totp")).text();
    const m = /data-otpauth-uri="([^"]+)"/.exec(html);
    assert.ok(m, "no otpauth URI on the enrolment page");
    const secret = new URL(m[1].replace(/&amp;/g, "&")).searchParams.get("secret")!;
    const ok = await client.postForm("/account/totp/confirm", { code: totpCodeAt(secret) });
    await ok.body?.cancel();
    assert.ok(ok.status < 400, `TOTP enrolment failed with ${ok.status}`);
    this.secrets.set(`TOTP secret of ${name}`, secret);
  }

  async close() {
    for (const p of this.#peers) p.close();
    await Promise.all(this.#peers.map((p) => p.closed));
    await this.server?.shutdown();
    await closeHub(this.kv);
    setLogSink(null);
    this.t.close();
  }
}

/** A syntactically valid PushSubscription for `endpoint` (a real P-256 point, 16 random auth bytes). */
export async function pushInput(endpoint: string) {
  const pair = await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, [
    "deriveBits",
  ]) as CryptoKeyPair;
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  return {
    endpoint,
    expirationTime: null,
    keys: { p256dh: encodeBase64Url(raw), auth: encodeBase64Url(crypto.getRandomValues(new Uint8Array(16))) },
  };
}

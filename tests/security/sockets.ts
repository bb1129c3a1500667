// Runs the socket matrix on a meeting of its own: the owner hosts, another account takes part, a
// fresh account is made co-host by the host, a guest joins by ID and passcode. Each message is
// followed by a ping: the queue is strictly ordered, so the pong says the message was handled.

import assert from "node:assert/strict";
import { clientMessageSchema, CLOSE, FRAME_SEPARATOR } from "../../lib/contracts/meeting_socket.ts";
import type { ClientMessageType } from "../../lib/contracts/meeting_socket.ts";
import { getParticipant } from "../../lib/meetings/participants.ts";
import { cookieHeader, Peer } from "../support/meeting_sockets.ts";
import type { TestClient } from "../support/app.ts";
import type { World } from "./world.ts";
import { MALFORMED, ROLES, SOCKET_MATRIX } from "./socket_matrix.ts";
import type { Role, SocketRow } from "./socket_matrix.ts";

/** Every client → server type the contract's union accepts. */
export function clientMessageTypes(): ClientMessageType[] {
  return clientMessageSchema.options.map((o) => o.shape.type.value as ClientMessageType);
}

export function missingSocketRows(rows: SocketRow[] = SOCKET_MATRIX): string[] {
  const have = new Set<string>([...rows.map((r) => r.type), "hello"]);
  return clientMessageTypes().filter((t) => !have.has(t)).map((t) =>
    `the client message "${t}" has no row in tests/security/socket_matrix.ts: add one saying what ` +
    `participant, guest, cohost and host get when they send it`
  );
}

export interface SocketResult {
  rows: number;
  checks: number;
  mismatches: string[];
}

async function joinAs(client: TestClient, meetingId: string, passcode: string) {
  const res = await client.postForm(`/m/${meetingId}/join`, { passcode });
  await res.body?.cancel();
  assert.equal(res.status, 303, `could not join ${meetingId}`);
}

export async function runSocketMatrix(w: World, rows: SocketRow[] = SOCKET_MATRIX): Promise<SocketResult> {
  const result: SocketResult = { rows: rows.length, checks: 0, mismatches: [] };
  const meeting = await w.freshMeeting("Socket matrix");
  const id = meeting.meetingId;
  const page = await w.clients.owner.get(`/m/${id}`);
  await page.body?.cancel();
  const host = await w.socket(id, w.clients.owner);
  await joinAs(w.clients.other, id, meeting.passcode);
  const participant = await w.socket(id, w.clients.other);
  const cohostClient = await w.sessionClient(await w.account("user", "Cohost"));
  await joinAs(cohostClient, id, meeting.passcode);
  const cohost = await w.socket(id, cohostClient);
  const guest = await w.socket(id, await w.guest(meeting, "Gina"));
  const peers: Record<Role, { peer: Peer; first: Record<string, unknown> }> = { host, participant, cohost, guest };
  for (const role of ROLES) {
    assert.equal(peers[role].first.type, "welcome", `${role} was not welcomed (hello refused)`);
    result.checks++;
  }
  const hostId = host.first.participantId as string;
  const from = cohost.peer.got.length;
  host.peer.send({ type: "set-role", participantId: cohost.first.participantId, role: "cohost" });
  await cohost.peer.waitFor(
    "the co-host role",
    (m) =>
      m.type === "participant-updated" && m.data.participant.participantId === cohost.first.participantId &&
      m.data.participant.role === "cohost",
    from,
  );

  const ordered = [...rows.filter((r) => !r.ends), ...rows.filter((r) => r.ends)];
  let hostChecked = false;
  for (const row of ordered) {
    if (row.ends && !hostChecked) {
      // Nothing a refused message asked for happened to the host.
      const record = await getParticipant(w.kv, id, hostId);
      // (The host renamed themselves in "rename (self)"; nobody else could.)
      const seen = record && [record.role, record.name, record.mutedByHost, record.videoStoppedByHost, record.leftAt];
      const want = ["host", "Renamed Self", false, false, null];
      if (JSON.stringify(seen) !== JSON.stringify(want)) {
        result.mismatches.push(
          `a refused moderation changed the host: ${JSON.stringify(seen)}, not ${JSON.stringify(want)}`,
        );
      }
      result.checks++;
      hostChecked = true;
    }
    for (const role of ROLES) {
      const want = row.expect[role];
      if (want === "n/a") continue;
      const { peer, first } = peers[role];
      const ids = { host: hostId, self: first.participantId as string };
      const start = peer.got.length;
      peer.send(row.message(ids));
      result.checks++;
      if (row.ends && want === "allowed") {
        const closes = await Promise.all(ROLES.map((r) => peers[r].peer.closed));
        const codes = closes.map((c) => c.code);
        if (codes.some((c) => c !== CLOSE.meetingEnded)) {
          result.mismatches.push(`${row.label} by ${role}: sockets closed with ${codes.join(", ")}, not 4000`);
        }
        break;
      }
      peer.send({ type: "ping" });
      let refusal: Record<string, unknown> | undefined;
      try {
        await peer.waitFor(`pong after ${row.label}`, (m) => m.type === "pong", start);
        refusal = peer.got.slice(start).find((m) => m.type === "error" && (m.action === row.type || !m.action));
      } catch (err) {
        result.mismatches.push(`${row.label} by ${role}: no answer (${(err as Error).message.slice(0, 200)})`);
        continue;
      }
      const forbidden = refusal?.kind === "user" && refusal?.code === "forbidden";
      if (want === "forbidden" && !forbidden) {
        result.mismatches.push(
          `${row.label} by ${role}: expected forbidden, got ${JSON.stringify(refusal ?? "no error")}`,
        );
      }
      if (want === "allowed" && (refusal?.code ?? null) !== (row.answer ?? null)) {
        const wanted = row.answer ? `the user error ${row.answer}` : "no error";
        result.mismatches.push(`${row.label} by ${role}: expected allowed (${wanted}), got ${JSON.stringify(refusal)}`);
      }
    }
  }
  return result;
}

/** Deno's WebSocket takes request headers (the admission cookie) as a constructor option. */
const DenoWebSocket = WebSocket as unknown as new (url: string, options?: { headers?: HeadersInit }) => WebSocket;

/** Opens a socket with `cookie`, optionally says hello, sends `frames`; resolves with how it closed. */
function probe(url: string, cookie: string, frames: (string | Uint8Array)[], hello: boolean) {
  return new Promise<{ code: number; reason: string; got: string[] }>((resolve, reject) => {
    const ws = new DenoWebSocket(url, { headers: { cookie } });
    const got: string[] = [];
    ws.addEventListener("error", () => reject(new Error("socket failed to open")));
    ws.addEventListener("open", () => {
      if (hello) ws.send(JSON.stringify({ type: "hello" }));
      else for (const f of frames) ws.send(f);
    });
    ws.addEventListener("message", (e) => {
      const first = got.length === 0;
      got.push(...String(e.data).split(FRAME_SEPARATOR));
      if (hello && first) { for (const f of frames) ws.send(f); }
    });
    ws.addEventListener("close", (e) => resolve({ code: e.code, reason: e.reason, got }));
  });
}

/** Malformed input, a lobby socket's actions and a removed guest's socket: each as documented. */
export async function runSocketAbuse(w: World): Promise<{ checks: number; mismatches: string[] }> {
  const out = { checks: 0, mismatches: [] as string[] };
  const meeting = await w.freshMeeting("Malformed input");
  const guest = await w.guest(meeting, "Mal");
  const url = w.wsUrl(meeting.meetingId);
  for (const c of MALFORMED) {
    const closed = await probe(url, cookieHeader(guest), c.frames, c.hello ?? true);
    out.checks++;
    if (closed.code !== CLOSE.protocolError || !closed.reason) {
      out.mismatches.push(`${c.label}: closed with ${closed.code} "${closed.reason}", not 4400 with a reason`);
    }
  }

  // A lobby socket may only say hello and ping.
  const lobbyMeeting = await w.createLobbyMeeting();
  const waiting = await w.guest(lobbyMeeting, "Wanda");
  const { peer, first } = await w.socket(lobbyMeeting.meetingId, waiting);
  assert.equal(first.type, "lobby", "the guest did not wait in the lobby");
  peer.send({ type: "ping" });
  await peer.waitFor("pong in the lobby", (m) => m.type === "pong");
  peer.send({ type: "lobby-admit-all" });
  const lobbyClose = await peer.closed;
  out.checks += 2;
  if (lobbyClose.code !== CLOSE.protocolError) {
    out.mismatches.push(`a lobby socket's lobby-admit-all closed with ${lobbyClose.code}, not 4400`);
  }

  // The removed guest cannot open a socket to the meeting they were removed from.
  const removed = new Peer(w.wsUrl(w.meeting.meetingId), cookieHeader(w.clients.removedGuest));
  out.checks++;
  try {
    await removed.opened;
    out.mismatches.push("the removed guest's socket opened");
    removed.close();
  } catch { /* refused at the handshake, as documented */ }
  await removed.closed;
  return out;
}

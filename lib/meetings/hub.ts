// Meeting socket sessions, apart from Hono and WebSockets: a session gets text frames and a
// transport to answer on, turns valid messages into participant changes and meeting messages, and
// forwards the meeting's messages (through MeetingFeed) to its socket.
//
// Errors come in three kinds (as in Galène): user errors are sent as {type:"error", kind:"user"}
// and shown; protocol errors close the socket (4400) with a reason and apply nothing; internal
// errors are logged and answered with a generic {type:"error", kind:"internal"}.

import { activeEntry } from "../recordings/store.ts";
import type { Store, StoreAtomic } from "../common/store.ts";
import { MeetingFeed } from "./feed.ts";
import { headId } from "./events.ts";
import type { MeetingEvent } from "./events.ts";
import { changeParticipant, listPresent, SILENT_STATE, toView } from "./participants.ts";
import type { Participant } from "./participants.ts";
import { knock, lobbyEntryOf } from "./join.ts";
import type { Admission } from "./join.ts";
import {
  clientMessageSchema,
  CLOSE,
  DENIED_RETRY_MS,
  FRAME_SEPARATOR,
  MAX_MESSAGE_BYTES,
} from "../contracts/meeting_socket.ts";
import type {
  ClientMessage,
  HelloMessage,
  LobbyStatusMessage,
  ServerMessage,
  StateMessage,
  UserErrorCode,
  WelcomeMessage,
} from "../contracts/meeting_socket.ts";
import { getMeetingByNumber, updateMeeting } from "./store.ts";
import { KvConflict } from "../common/kv.ts";
import type { Meeting } from "./store.ts";
import type { MediaGateway } from "../contracts/gateway_api.ts";
import { newId } from "../common/ids.ts";
import { logger } from "../common/log.ts";
import { mayReceive, publicData } from "./audience.ts";
import type { Viewer } from "./audience.ts";
import { leaveLobby, listLobby } from "./lobby.ts";
import { chatHistory } from "./chat.ts";
import { type BucketRule, TokenBuckets } from "../common/token_bucket.ts";
import { openAttendance, writeAttendance } from "./attendance.ts";
import { roomSettings } from "./settings.ts";
import { ActionRefused, applyAction, reapplyModeration, stateChange } from "./controls.ts";
import { syncPublisher } from "../telephony/phone.ts";
import { english } from "../i18n/message.ts";
import type { MessageKey } from "../i18n/client.ts";
import { getAdmission, getAdmissionEntry } from "./admissions.ts";

const log = logger("hub");

/** The socket as the hub sees it. */
export interface SocketTransport {
  send(text: string): void;
  close(code: number, reason: string): void;
}

export interface HubOptions {
  /** How long a participant whose socket closed may come back silently. */
  graceMs?: number;
  /** Messages a socket may send per second before it is closed with 4429. */
  maxMessagesPerSecond?: number;
  /** How long a new socket may take to say hello. */
  helloTimeoutMs?: number;
  /** Extra polling for new messages (ms), when other processes share a sqlite KV file. */
  pollMs?: number;
  /** The media gateway for host moderation at the SFU (null: meetings without media). */
  gateway?: MediaGateway | null;
  /** Chat and reactions per person (all their sockets in a meeting): over it, the socket closes with 4429. */
  chatPerPerson?: BucketRule;
  /** Chat and reactions per meeting (everyone together): over it, the message is refused ("rate-limited"). */
  chatPerMeeting?: BucketRule;
  /** Days a finished recording is kept (RECORDING_RETENTION_DAYS). */
  recordingRetentionDays?: number;
}

/**
 * A person may burst 20 messages (a pasted list, a flurry of reactions) and keep up 5 a second,
 * far above anyone typing; a meeting 200 at once and 50 a second, far above a busy class's chat.
 */
export const CHAT_LIMITS = {
  perPerson: { burst: 20, perSecond: 5 },
  perMeeting: { burst: 200, perSecond: 50 },
} as const satisfies Record<string, BucketRule>;

const DEFAULTS = {
  recordingRetentionDays: 30,
  graceMs: 15_000,
  maxMessagesPerSecond: 50,
  helloTimeoutMs: 10_000,
  chatPerPerson: CHAT_LIMITS.perPerson,
  chatPerMeeting: CHAT_LIMITS.perMeeting,
};

/** A protocol error: the socket is closed with 4400 and this reason. */
class ProtocolError extends Error {}

/** Per-process registry of meeting socket sessions. */
export class MeetingHub {
  readonly feed: MeetingFeed;
  readonly options: Required<Omit<HubOptions, "pollMs" | "gateway">>;
  /** Settable because the hub is made on first use; the route passes the app's gateway each time. */
  gateway: MediaGateway | null;
  #sessions = new Set<MeetingSession>();
  #leaveTimers = new Set<ReturnType<typeof setTimeout>>();
  #pending = new Set<Promise<unknown>>();
  #closed = false;
  /** Chat/reaction floods, keyed by meeting and admission (person) and by meeting. */
  readonly chatPerson: TokenBuckets;
  readonly chatMeeting: TokenBuckets;

  constructor(readonly kv: Store, opts: HubOptions = {}) {
    this.feed = new MeetingFeed(kv, { pollMs: opts.pollMs });
    this.gateway = opts.gateway ?? null;
    this.options = {
      graceMs: opts.graceMs ?? DEFAULTS.graceMs,
      maxMessagesPerSecond: opts.maxMessagesPerSecond ?? DEFAULTS.maxMessagesPerSecond,
      helloTimeoutMs: opts.helloTimeoutMs ?? DEFAULTS.helloTimeoutMs,
      chatPerPerson: opts.chatPerPerson ?? DEFAULTS.chatPerPerson,
      chatPerMeeting: opts.chatPerMeeting ?? DEFAULTS.chatPerMeeting,
      recordingRetentionDays: opts.recordingRetentionDays ?? DEFAULTS.recordingRetentionDays,
    };
    this.chatPerson = new TokenBuckets(this.options.chatPerPerson);
    this.chatMeeting = new TokenBuckets(this.options.chatPerMeeting);
  }

  /** Starts a session for a socket whose admission the caller has checked. */
  open(meeting: Meeting, admission: Admission, admissionTokenHash: string, transport: SocketTransport): MeetingSession {
    const session = new MeetingSession(this, meeting, admission, admissionTokenHash, transport);
    if (this.#closed) {
      session.close(CLOSE.goingAway, "The server is shutting down");
      return session;
    }
    this.#sessions.add(session);
    return session;
  }

  /** Sessions open in this process (tests, metrics). */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  /** @internal */
  forget(session: MeetingSession) {
    this.#sessions.delete(session);
  }

  /** @internal Runs `leave` after the grace period unless the hub closes first. */
  scheduleLeave(leave: () => Promise<void>) {
    const id = setTimeout(() => {
      this.#leaveTimers.delete(id);
      this.track(leave());
    }, this.options.graceMs);
    // A pending leave must not keep a stopping server alive; the record then stays "disconnected".
    Deno.unrefTimer(Number(id));
    this.#leaveTimers.add(id);
  }

  /** @internal Keeps background work visible to `idle()`. */
  track(p: Promise<unknown>) {
    const tracked = p.catch((err) => log.error("background work failed", { error: String(err?.stack ?? err) }))
      .finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }

  /** Resolves once the background writes started so far (closing, leaving) have finished. */
  async idle(): Promise<void> {
    while (this.#pending.size) await Promise.all([...this.#pending]);
  }

  /** Closes every session (1001), cancels pending leaves and stops the feed. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const s of [...this.#sessions]) s.close(CLOSE.goingAway, "The server is shutting down");
    for (const id of this.#leaveTimers) clearTimeout(id);
    this.#leaveTimers.clear();
    await this.idle();
    this.feed.close();
  }
}

type Phase = "new" | "joining" | "ready" | "closed";

/** One socket's session in a meeting. */
export class MeetingSession {
  readonly connectionId = newId();
  #phase: Phase = "new";
  #participantId: string | null = null;
  #queue: Promise<void> = Promise.resolve();
  #unsubscribe: (() => void) | null = null;
  #helloTimer: ReturnType<typeof setTimeout> | undefined;
  #windowStart = 0;
  #windowCount = 0;
  #endedByMeeting = false;
  /** Over the person's chat bucket: closing once the messages before the flood are out. */
  #flooded = false;
  /** This socket waits in the lobby: it only learns the decision about its own admission. */
  #waiting = false;
  /** The participant's role as last seen (updated by its own participant-updated messages). */
  #role: string;
  #reactions: number[] = [];
  /** Messages for the frame of this turn (#sendText). */
  #outbox: string[] = [];

  constructor(
    private hub: MeetingHub,
    private meeting: Meeting,
    private admission: Admission,
    private admissionTokenHash: string,
    private transport: SocketTransport,
  ) {
    this.#role = admission.role;
    this.#helloTimer = setTimeout(() => {
      if (this.#phase === "new") this.close(CLOSE.protocolError, "Send hello first");
    }, hub.options.helloTimeoutMs);
  }

  get participantId(): string | null {
    return this.#participantId;
  }

  get closed(): boolean {
    return this.#phase === "closed";
  }

  /** A text frame from the client. Processed strictly in order. */
  receive(data: unknown) {
    if (this.#phase === "closed" || this.#flooded) return;
    if (!this.#withinRate()) {
      this.close(CLOSE.rateLimited, "Too many messages; slow down");
      return;
    }
    if (typeof data !== "string") return this.close(CLOSE.protocolError, "Messages must be JSON text");
    if (data.length > MAX_MESSAGE_BYTES) return this.close(CLOSE.protocolError, "Message too large");
    let parsed;
    try {
      parsed = clientMessageSchema.safeParse(JSON.parse(data));
    } catch {
      return this.close(CLOSE.protocolError, "Messages must be JSON");
    }
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? ` (${issue.path.join(".")})` : "";
      return this.close(CLOSE.protocolError, `Invalid message${where}: ${issue?.message ?? "unknown"}`.slice(0, 120));
    }
    const msg = parsed.data;
    if ((msg.type === "chat" || msg.type === "react") && this.#phase === "ready" && !this.#floodAllowed(msg.type)) {
      return;
    }
    this.#queue = this.#queue.then(async () => {
      if (this.#phase === "closed") return;
      try {
        if (msg.type === "hello") await this.#hello(msg);
        else if (this.#phase !== "ready") throw new ProtocolError("Send hello first");
        else if (msg.type === "ping") this.#send({ type: "pong" });
        else if (this.#waiting) throw new ProtocolError("You are waiting in the lobby");
        else if (msg.type === "state") await this.#state(msg);
        else await this.#action(msg);
      } catch (err) {
        if (err instanceof ProtocolError) return this.close(CLOSE.protocolError, err.message);
        if (err instanceof ActionRefused) return this.#refuse(err.code, msg.type, err.message);
        log.error("message failed", {
          meetingId: this.meeting.meetingId,
          type: msg.type,
          error: String((err as Error)?.stack ?? err),
        });
        if (this.#phase !== "ready") return this.close(1011, "Something went wrong on our side");
        this.#send({
          type: "error",
          kind: "internal",
          message: "Something went wrong on our side. It has been logged.",
        });
      }
    });
  }

  /** The socket closed (or the server closes it): stop forwarding, start the grace period. */
  close(code?: number, reason?: string) {
    if (this.#phase === "closed") return;
    // Closing ourselves: what was said before still goes out, ahead of the close frame. (When the
    // client closed, nothing can reach it any more.)
    if (code !== undefined) this.#flush();
    else this.#outbox = [];
    const wasJoined = this.#participantId !== null;
    this.#phase = "closed";
    clearTimeout(this.#helloTimer);
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    this.hub.forget(this);
    if (code !== undefined) {
      // From a later task: closing while the socket still has unread frames queued (a client that
      // bursts) makes Deno drop the connection without a close frame (the browser sees 1006), so
      // our code and reason would never arrive.
      setTimeout(() => {
        try {
          this.transport.close(code, reason ?? "");
        } catch { /* already closed */ }
      }, 0);
    }
    if (wasJoined && !this.#endedByMeeting) this.hub.track(this.#disconnect());
    if (this.#waiting && !this.#endedByMeeting) {
      const { kv } = this.hub;
      const { meetingId } = this.meeting;
      this.hub.scheduleLeave(() => leaveLobby(kv, meetingId, this.admission.id, this.connectionId));
    }
  }

  /**
   * The person's and the meeting's chat buckets: a person over theirs is closed with 4429 (a flood
   * from one place, whichever of their sockets); a meeting over its own refuses the message only,
   * so a busy room slows down without anyone being thrown out. False: the message is dropped.
   */
  #floodAllowed(type: "chat" | "react"): boolean {
    const { meetingId } = this.meeting;
    if (!this.hub.chatPerson.take(`${meetingId}:${this.admission.id}`)) {
      log.warn("chat flood: socket closed", { meetingId, admissionId: this.admission.id });
      // What was accepted before the flood still goes out; then the socket closes, and reads nothing more.
      this.#flooded = true;
      this.#queue = this.#queue.then(() =>
        this.close(CLOSE.rateLimited, "You were sending messages too fast. Wait a moment before sending more.")
      );
      return false;
    }
    if (!this.hub.chatMeeting.take(meetingId)) {
      this.#userError("rate-limited", type, "room.refused.chatBusy");
      return false;
    }
    return true;
  }

  #withinRate(): boolean {
    const now = Date.now();
    if (now - this.#windowStart >= 1000) {
      this.#windowStart = now;
      this.#windowCount = 0;
    }
    return ++this.#windowCount <= this.hub.options.maxMessagesPerSecond;
  }

  #userError(code: UserErrorCode, action: string, key: MessageKey) {
    this.#refuse(code, action, key);
  }

  /**
   * A user error: `said` is a message (lib/i18n/message.ts: a room.refused.* key, or an
   * ActionRefused's key with its values). It goes out as `messageKey` for our client to say in the
   * person's language, and in English as `message` for other clients and logs.
   */
  #refuse(code: UserErrorCode, action: string, said: string) {
    this.#send({ type: "error", kind: "user", code, action, message: english(said), messageKey: said });
  }

  #send(msg: ServerMessage | MeetingEvent) {
    this.#sendText(JSON.stringify(msg));
  }

  /**
   * Queues a message for this turn's frame: everything sent to the socket before the event loop
   * turns (a feed batch delivers its messages synchronously) leaves as one frame (FRAME_SEPARATOR).
   */
  #sendText(text: string) {
    if (this.#phase === "closed") return;
    if (this.#outbox.push(text) === 1) queueMicrotask(() => this.#flush());
  }

  #flush() {
    if (this.#outbox.length === 0) return;
    const frame = this.#outbox.length === 1 ? this.#outbox[0] : this.#outbox.join(FRAME_SEPARATOR);
    this.#outbox = [];
    try {
      this.transport.send(frame);
    } catch (err) {
      log.warn("send failed", { meetingId: this.meeting.meetingId, error: String(err) });
    }
  }

  async #hello(msg: HelloMessage) {
    if (this.#phase !== "new") throw new ProtocolError("hello was already sent");
    this.#phase = "joining";
    clearTimeout(this.#helloTimer);
    const { kv } = this.hub;
    const meetingId = this.meeting.meetingId;
    const meeting = await getMeetingByNumber(kv, meetingId);
    if (!meeting || meeting.status === "ended") {
      this.#endedByMeeting = true;
      return this.close(CLOSE.meetingEnded, "The meeting has ended");
    }
    this.meeting = meeting;
    const stored = await getAdmissionEntry(kv, meetingId, this.admissionTokenHash);
    if (stored.value?.state === "waiting") return await this.#helloWaiting(stored.value);
    if (stored.value?.state === "removed") {
      this.#endedByMeeting = true;
      return this.close(CLOSE.removed, "A host removed you from this meeting");
    }
    if (stored.value?.state !== "admitted") {
      return this.close(CLOSE.notAdmitted, "You are not admitted to this meeting");
    }
    this.admission = stored.value;
    const head = await headId(kv, meetingId);
    if (msg.lastId !== undefined && msg.lastId > head) throw new ProtocolError("lastId is ahead of the meeting");

    const now = new Date().toISOString();
    const a = this.admission;
    // Joining (first time, or back after leaving) is announced and opens an attendance session.
    const joined = (next: Participant) => ({
      next,
      event: { type: "participant-joined", data: { participant: toView(next) } },
      writes: (op: StoreAtomic) => openAttendance(op, meeting.id, next),
    });
    let me: Participant;
    if (msg.participantId) {
      const changed = await changeParticipant(kv, meetingId, msg.participantId, (p) => {
        if (!p || p.admissionId !== a.id) return null;
        const rejoin = p.leftAt !== null;
        const next: Participant = rejoin
          ? {
            ...p,
            joinedAt: now,
            leftAt: null,
            state: SILENT_STATE,
            feedId: null,
            mids: {},
            handRaisedAt: null,
            attendanceId: newId(),
          }
          : { ...p };
        next.connected = true;
        next.connectionId = this.connectionId;
        // Back within the grace period: nobody was told the participant left, so nothing is said
        // and the attendance session goes on.
        return rejoin ? joined(next) : { next };
      });
      if (!changed) throw new ProtocolError("Unknown participantId for this admission");
      me = changed.participant;
    } else {
      const participantId = newId();
      const created = await changeParticipant(kv, meetingId, participantId, (p) => {
        if (p) return null;
        const next: Participant = {
          participantId,
          meetingId,
          admissionId: a.id,
          userId: a.userId,
          name: a.name,
          role: a.role,
          joinedAt: now,
          leftAt: null,
          state: SILENT_STATE,
          feedId: null,
          connected: true,
          connectionId: this.connectionId,
          admissionHash: this.admissionTokenHash,
          attendanceId: newId(),
          mids: {},
          mutedByHost: false,
          videoStoppedByHost: false,
          handRaisedAt: null,
        };
        return joined(next);
      });
      if (!created) throw new Error("participantId collision");
      me = created.participant;
      if (!meeting.startedAt) await markStarted(kv, meeting, now);
    }
    if (this.closed) {
      this.#participantId = me.participantId;
      this.hub.track(this.#disconnect());
      return;
    }
    this.#participantId = me.participantId;
    this.#role = me.role;

    // Read the position before the snapshot: changes after `lastId` are replayed, so the snapshot
    // can only be newer than `lastId`, never older (clients apply participant messages idempotently).
    const lastId = msg.lastId ?? await headId(kv, meetingId);
    const present = await listPresent(kv, meetingId);
    const fresh = (await getMeetingByNumber(kv, meetingId)) ?? meeting;
    const moderator = me.role === "host" || me.role === "cohost";
    const welcome: WelcomeMessage = {
      type: "welcome",
      participantId: me.participantId,
      you: { name: me.name, role: me.role },
      meeting: { meetingId, title: meeting.title },
      participants: present.map(toView),
      lastId,
      settings: roomSettings(fresh),
      hands: present.filter((p) => p.handRaisedAt)
        .sort((x, y) =>
          x.handRaisedAt!.localeCompare(y.handRaisedAt!) || x.participantId.localeCompare(y.participantId)
        )
        .map((p) => p.participantId),
      lobby: moderator ? await listLobby(kv, meetingId) : null,
      chat: await chatHistory(kv, meetingId, lastId, this.admission.id),
      recording: (await activeEntry(kv, meetingId)).value !== null,
    };
    this.#send(welcome);
    this.#phase = "ready";
    const unsubscribe = await this.hub.feed.subscribe(meetingId, lastId, (e) => this.#deliver(e));
    if (this.closed) unsubscribe();
    else this.#unsubscribe = unsubscribe;
  }

  #viewer(): Viewer {
    return {
      admissionId: this.admission.id,
      participantId: this.#participantId,
      moderator: this.#role === "host" || this.#role === "cohost",
      waiting: this.#waiting,
    };
  }

  /** Lobby socket: tell the person where they stand, then follow only the decision about them. */
  async #helloWaiting(a: Admission) {
    const { kv } = this.hub;
    const meetingId = this.meeting.meetingId;
    this.admission = a;
    this.#waiting = true;
    const lastId = await headId(kv, meetingId);
    // Re-knock when the entry was dropped (they had closed the page) and note this socket as theirs.
    await knock(kv, a, this.admissionTokenHash, this.connectionId);
    if (this.closed) {
      this.hub.track(leaveLobby(kv, meetingId, a.id, this.connectionId));
      return;
    }
    this.#sendLobby("waiting");
    this.#phase = "ready";
    const unsubscribe = await this.hub.feed.subscribe(meetingId, lastId, (e) => this.#deliver(e));
    if (this.closed) unsubscribe();
    else this.#unsubscribe = unsubscribe;
    // Decided between the knock and the subscription: the replay above delivered it, or re-check.
    const now = await getAdmission(kv, meetingId, this.admissionTokenHash);
    if (!this.closed && now && now.state !== "waiting") this.#decided(now.state === "admitted" ? "admitted" : "denied");
  }

  #sendLobby(status: LobbyStatusMessage["status"]) {
    const entry = lobbyEntryOf(this.admission);
    const msg: LobbyStatusMessage = {
      type: "lobby",
      status,
      meeting: { meetingId: this.meeting.meetingId, title: this.meeting.title },
      name: entry.name,
      knockedAt: entry.knockedAt,
    };
    if (status === "denied") msg.retryAt = new Date(Date.now() + DENIED_RETRY_MS).toISOString();
    this.#send(msg);
  }

  #decided(outcome: "admitted" | "denied") {
    this.#endedByMeeting = true;
    this.#sendLobby(outcome);
    if (outcome === "admitted") this.close(CLOSE.admitted, "A host let you in; reload the page");
    else this.close(CLOSE.denied, "The host did not let you in");
  }

  #deliver(e: MeetingEvent) {
    if (this.closed) return;
    if (!mayReceive(e.type, e.data, this.#viewer())) return;
    if (this.#waiting && e.type === "lobby-left") {
      const outcome = e.data.outcome;
      if (outcome === "admitted" || outcome === "denied") this.#decided(outcome);
      return;
    }
    this.#sendText(wireText(e));
    if (e.type === "participant-updated" || e.type === "participant-left") {
      const p = e.data.participant as Participant | undefined;
      if (p && p.participantId === this.#participantId) this.#role = p.role;
      if (e.type === "participant-left" && e.data.participantId === this.#participantId && e.data.removed) {
        this.#endedByMeeting = true;
        this.close(CLOSE.removed, "A host removed you from this meeting");
        return;
      }
    }
    if (e.type === "meeting-ended") {
      this.#endedByMeeting = true;
      const reason = typeof e.data.reason === "string" ? e.data.reason : "The meeting has ended";
      this.close(CLOSE.meetingEnded, reason.slice(0, 120));
    }
  }

  async #state(msg: StateMessage) {
    const { kv } = this.hub;
    const meeting = await getMeetingByNumber(kv, this.meeting.meetingId);
    if (meeting) this.meeting = meeting;
    const privileged = this.#role === "host" || this.#role === "cohost";
    if (msg.screen && this.meeting.settings.screenShare === "hosts" && !privileged) {
      return this.#userError("screen-share-hosts", "state", "room.refused.screenHosts");
    }
    const outcome = await stateChange(kv, this.meeting, this.#participantId!, this.connectionId, msg);
    if (outcome.refused) return this.#userError("muted-by-host", "state", outcome.refused);
    if (!outcome.after) return;
    await reapplyModeration(this.hub.gateway, this.meeting.meetingId, outcome.before, outcome.after);
    // The browser's audio into the SIP bridge follows its feed (best effort, in the background).
    const { before, after } = outcome;
    if (before.feedId !== after.feedId || before.mids?.audio !== after.mids?.audio) {
      this.hub.track(syncPublisher(this.hub.gateway, this.meeting.meetingId, before, after));
    }
  }

  /** Everything after hello that is not state or ping: host controls, hands, reactions, chat. */
  async #action(msg: Exclude<ClientMessage, { type: "hello" | "ping" | "state" }>) {
    if (msg.type === "react") {
      const now = Date.now();
      this.#reactions = this.#reactions.filter((t) => now - t < 10_000);
      if (this.#reactions.length >= 5) {
        return this.#userError("rate-limited", "react", "room.refused.reactionsFast");
      }
      this.#reactions.push(now);
    }
    const meeting = await getMeetingByNumber(this.hub.kv, this.meeting.meetingId);
    if (!meeting) throw new Error("meeting vanished");
    this.meeting = meeting;
    await applyAction(
      {
        kv: this.hub.kv,
        gateway: this.hub.gateway,
        meeting,
        recordingRetentionDays: this.hub.options.recordingRetentionDays,
        track: (work) => this.hub.track(work),
      },
      this.#participantId!,
      msg,
    );
  }

  /** Marks the participant disconnected now and gone (with `participant-left`) after the grace period. */
  async #disconnect() {
    const { kv } = this.hub;
    const meetingId = this.meeting.meetingId;
    const participantId = this.#participantId!;
    const mine = (p: Participant | null): p is Participant => p !== null && p.connectionId === this.connectionId;
    const marked = await changeParticipant(kv, meetingId, participantId, (p) => {
      if (!mine(p) || !p.connected) return null;
      return { next: { ...p, connected: false } };
    });
    if (!marked) return;
    this.hub.scheduleLeave(async () => {
      const meeting = await getMeetingByNumber(kv, meetingId);
      const left = await changeParticipant(kv, meetingId, participantId, (p) => {
        if (!mine(p) || p.connected || p.leftAt !== null) return null;
        const next: Participant = { ...p, leftAt: new Date().toISOString(), connectionId: null, handRaisedAt: null };
        const writes = (op: StoreAtomic) => writeAttendance(op, next, next.leftAt);
        // After the meeting ended everyone has left implicitly; the record is closed quietly.
        if (!meeting || meeting.status === "ended") return { next, writes };
        return { next, writes, event: { type: "participant-left", data: { participantId, name: p.name } } };
      });
      if (left && left.participant.feedId !== null && meeting?.status !== "ended") {
        await syncPublisher(this.hub.gateway, meetingId, left.participant, null);
      }
    });
  }
}

/**
 * Sets the meeting's startedAt once. People joining at the same moment race for it; losing to one
 * who set it is fine, and a lost race otherwise is tried again a few times, jittered.
 */
async function markStarted(kv: Store, meeting: Meeting, now: string) {
  for (let attempt = 0;; attempt++) {
    try {
      await updateMeeting(kv, meeting.id, (m) => ({ startedAt: m.startedAt ?? now }));
      return;
    } catch (err) {
      if (!(err instanceof KvConflict) || attempt >= 4) throw err;
      if ((await getMeetingByNumber(kv, meeting.meetingId))?.startedAt) return;
      await new Promise((r) => setTimeout(r, Math.random() * 20 * (attempt + 1)));
    }
  }
}

/** A meeting message as sent (internal fields removed), serialized once for all the sockets it reaches. */
const wireTexts = new WeakMap<MeetingEvent, string>();

function wireText(e: MeetingEvent): string {
  let text = wireTexts.get(e);
  if (text === undefined) {
    const data = publicData(e.data);
    text = JSON.stringify(data === e.data ? e : { ...e, data });
    wireTexts.set(e, text);
  }
  return text;
}

const hubs = new WeakMap<Store, MeetingHub>();

/** The process's hub for a KV handle (created on first use). */
export function hubFor(kv: Store, opts: HubOptions = {}): MeetingHub {
  let hub = hubs.get(kv);
  if (!hub) {
    hub = new MeetingHub(kv, opts);
    hubs.set(kv, hub);
  }
  if (opts.gateway !== undefined) hub.gateway = opts.gateway;
  return hub;
}

/** Closes the hub for a KV handle, if one was made (server shutdown, tests). */
export async function closeHub(kv: Store): Promise<void> {
  const hub = hubs.get(kv);
  if (!hub) return;
  hubs.delete(kv);
  await hub.close();
}

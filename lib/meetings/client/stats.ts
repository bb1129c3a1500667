// Media statistics from getStats: what each remote participant's streams deliver on the subscriber
// PeerConnection and what the publisher sends. Used by the connection indicator and the test hook.

export type StreamSource = "camera" | "screen" | "audio";

/** What a subscriber mid carries. */
export interface MidInfo {
  participantId: string;
  feedId: number;
  source: StreamSource;
}

export interface InboundSummary {
  audioBytes: number;
  audioPackets: number;
  /** Latest audioLevel (0-1) of the participant's audio, 0 when none. */
  audioLevel: number;
  videoBytes: number;
  framesDecoded: number;
  screenBytes: number;
  screenFramesDecoded: number;
}

export interface OutboundSummary {
  audioBytes: number;
  videoBytes: number;
  framesEncoded: number;
  screenBytes: number;
  screenFramesEncoded: number;
}

export interface MediaStats {
  inbound: Record<string, InboundSummary>;
  outbound: OutboundSummary;
  /** Round-trip time to Janus in ms from the publisher's candidate pair, or null. */
  rttMs: number | null;
}

type Report = Record<string, unknown> & { type: string; id: string };

const emptyInbound = (): InboundSummary => ({
  audioBytes: 0,
  audioPackets: 0,
  audioLevel: 0,
  videoBytes: 0,
  framesDecoded: 0,
  screenBytes: 0,
  screenFramesDecoded: 0,
});

export const emptyOutbound = (): OutboundSummary => ({
  audioBytes: 0,
  videoBytes: 0,
  framesEncoded: 0,
  screenBytes: 0,
  screenFramesEncoded: 0,
});

const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);

/** Sums inbound-rtp reports per participant, using `mid` (or the receiver track id) to find the stream. */
export function summarizeInbound(
  reports: Iterable<Report>,
  mids: ReadonlyMap<string, MidInfo>,
  midByTrackId: ReadonlyMap<string, string> = new Map(),
): Record<string, InboundSummary> {
  const out: Record<string, InboundSummary> = {};
  for (const r of reports) {
    if (r.type !== "inbound-rtp") continue;
    const mid = typeof r.mid === "string" ? r.mid : midByTrackId.get(String(r.trackIdentifier ?? ""));
    const info = mid !== undefined ? mids.get(mid) : undefined;
    if (!info) continue;
    const s = (out[info.participantId] ??= emptyInbound());
    if (r.kind === "audio") {
      s.audioBytes += num(r.bytesReceived);
      s.audioPackets += num(r.packetsReceived);
      s.audioLevel = Math.max(s.audioLevel, num(r.audioLevel));
    } else if (info.source === "screen") {
      s.screenBytes += num(r.bytesReceived);
      s.screenFramesDecoded += num(r.framesDecoded);
    } else {
      s.videoBytes += num(r.bytesReceived);
      s.framesDecoded += num(r.framesDecoded);
    }
  }
  return out;
}

/** Sums outbound-rtp reports (all simulcast layers) by what the mid carries. */
export function summarizeOutbound(
  reports: Iterable<Report>,
  sourceByMid: ReadonlyMap<string, StreamSource>,
): { outbound: OutboundSummary; rttMs: number | null } {
  const outbound = emptyOutbound();
  let rttMs: number | null = null;
  for (const r of reports) {
    if (r.type === "candidate-pair" && r.nominated && typeof r.currentRoundTripTime === "number") {
      rttMs = Math.round(r.currentRoundTripTime * 1000);
    }
    if (r.type !== "outbound-rtp") continue;
    const source = typeof r.mid === "string" ? sourceByMid.get(r.mid) : undefined;
    if (r.kind === "audio") outbound.audioBytes += num(r.bytesSent);
    else if (source === "screen") {
      outbound.screenBytes += num(r.bytesSent);
      outbound.screenFramesEncoded += num(r.framesEncoded);
    } else {
      outbound.videoBytes += num(r.bytesSent);
      outbound.framesEncoded += num(r.framesEncoded);
    }
  }
  return { outbound, rttMs };
}

/** Reads both PeerConnections' stats and summarizes them. */
export async function collectStats(
  publisher: RTCPeerConnection | null,
  subscriber: RTCPeerConnection | null,
  mids: ReadonlyMap<string, MidInfo>,
  publisherSources: ReadonlyMap<string, StreamSource>,
): Promise<MediaStats> {
  const list = async (pc: RTCPeerConnection | null): Promise<Report[]> => {
    if (!pc || pc.connectionState === "closed") return [];
    const out: Report[] = [];
    (await pc.getStats()).forEach((r) => out.push(r as Report));
    return out;
  };
  const midByTrackId = new Map<string, string>();
  for (const t of subscriber?.getTransceivers() ?? []) {
    if (t.mid !== null) midByTrackId.set(t.receiver.track.id, t.mid);
  }
  const [pub, sub] = await Promise.all([list(publisher), list(subscriber)]);
  const { outbound, rttMs } = summarizeOutbound(pub, publisherSources);
  return { inbound: summarizeInbound(sub, mids, midByTrackId), outbound, rttMs };
}

// Per-stream helpers for the relay: receive statistics (RFC 3550 loss and jitter), G.711
// repacketizing to the 20 ms Janus accepts, timestamp/sequence rewriting for one outgoing stream
// fed by several sources, and speaking detection with hysteresis.

import { type G711Codec, SILENCE_BYTE } from "./g711.ts";
import { randomUint16, randomUint32 } from "../../lib/common/random.ts";

/** Receive statistics of one incoming RTP stream, per RFC 3550 appendix A.1/A.3/A.8. */
export class ReceiveStats {
  packets = 0;
  bytes = 0;
  /** Packets that arrived again, or too late to be useful (older than the highest seen). */
  duplicates = 0;
  ssrc: number | null = null;
  #baseSeq = 0;
  #maxSeq = 0; // extended (with wrap-around cycles)
  #received = 0; // since the last SSRC change
  #transit: number | null = null;
  #jitter = 0; // in timestamp units, scaled as in RFC 3550
  #lostBefore = 0; // loss counted on earlier SSRCs
  #seen = new Uint8Array(0x10000); // which sequence numbers of the current cycle arrived

  constructor(readonly clockRate: number) {}

  /** Records one packet; `arrivalMs` is a monotonic clock reading (performance.now()). */
  record(ssrc: number, sequence: number, timestamp: number, size: number, arrivalMs: number) {
    this.packets++;
    this.bytes += size;
    if (this.ssrc !== ssrc) {
      // A new source (re-INVITE, another device): its sequence space starts afresh.
      this.#lostBefore += this.#lostNow();
      this.ssrc = ssrc;
      this.#baseSeq = this.#maxSeq = sequence;
      this.#received = 1;
      this.#seen.fill(0);
      this.#seen[sequence] = 1;
      this.#transit = null;
      this.#updateJitter(timestamp, arrivalMs);
      return;
    }
    const cycles = this.#maxSeq & ~0xffff;
    let extended = cycles | sequence;
    // Pick the extended value closest to the highest seen (handles wrap in both directions).
    if (extended - this.#maxSeq > 0x8000) extended -= 0x10000;
    else if (this.#maxSeq - extended > 0x8000) extended += 0x10000;
    if (extended <= this.#maxSeq) {
      // Reordered packets fill a gap they were counted in as lost; repeats and stragglers do not.
      if (extended < this.#baseSeq || this.#maxSeq - extended > 30000 || this.#seen[sequence]) {
        this.duplicates++;
        return;
      }
      this.#seen[sequence] = 1;
      this.#received++;
      return;
    }
    // Forget what the sequence numbers we skip over meant in the previous cycle.
    for (let s = this.#maxSeq + 1; s < extended && s - this.#maxSeq < 0x10000; s++) this.#seen[s & 0xffff] = 0;
    this.#seen[sequence] = 1;
    this.#maxSeq = extended;
    this.#received++;
    this.#updateJitter(timestamp, arrivalMs);
  }

  #updateJitter(timestamp: number, arrivalMs: number) {
    const arrival = (arrivalMs * this.clockRate) / 1000;
    const transit = arrival - timestamp;
    if (this.#transit !== null) {
      let d = Math.abs(transit - this.#transit);
      // Timestamps wrap at 2^32; a jump that large is a wrap, not jitter.
      if (d > 2 ** 31) d = Math.abs(d - 2 ** 32);
      this.#jitter += (d - this.#jitter) / 16;
    }
    this.#transit = transit;
  }

  #lostNow(): number {
    if (this.ssrc === null) return 0;
    return Math.max(0, this.#maxSeq - this.#baseSeq + 1 - this.#received);
  }

  /** Packets never received, from gaps in the sequence numbers (RFC 3550 cumulative loss). */
  get lost(): number {
    return this.#lostBefore + this.#lostNow();
  }

  get jitterMs(): number {
    return (this.#jitter * 1000) / this.clockRate;
  }
}

export interface Frame {
  timestamp: number;
  payload: Uint8Array;
}

/**
 * Cuts G.711 packets of any size (30 ms, 40 ms, 10 ms…) into frames of exactly `frameSamples`
 * (160 = 20 ms at 8 kHz), keeping the caller's timestamps, so Janus gets the only ptime it accepts.
 * A timestamp gap (lost packet, silence suppression) pads the partial frame with silence first,
 * so every emitted frame still starts where the audio it carries started.
 */
export class G711Repacketizer {
  #buffer: Uint8Array;
  #length = 0;
  #timestamp = 0;
  /** Packets dropped because their audio was already emitted (duplicates, reordering). */
  late = 0;
  /** Samples of silence inserted to complete a frame at a gap. */
  paddedSamples = 0;

  constructor(readonly codec: G711Codec, readonly frameSamples = 160) {
    this.#buffer = new Uint8Array(frameSamples * 2);
  }

  push(timestamp: number, payload: Uint8Array): Frame[] {
    const out: Frame[] = [];
    if (this.#length > 0) {
      const expected = (this.#timestamp + this.#length) >>> 0;
      const delta = (timestamp - expected) | 0;
      if (delta < 0) {
        this.late++;
        return out;
      }
      if (delta > 0) this.#flushPadded(out);
    }
    if (this.#length === 0) this.#timestamp = timestamp;
    if (this.#buffer.length < this.#length + payload.length) {
      const bigger = new Uint8Array(this.#length + payload.length + this.frameSamples);
      bigger.set(this.#buffer.subarray(0, this.#length));
      this.#buffer = bigger;
    }
    this.#buffer.set(payload, this.#length);
    this.#length += payload.length;
    let offset = 0;
    while (this.#length - offset >= this.frameSamples) {
      out.push({ timestamp: this.#timestamp, payload: this.#buffer.slice(offset, offset + this.frameSamples) });
      offset += this.frameSamples;
      this.#timestamp = (this.#timestamp + this.frameSamples) >>> 0;
    }
    if (offset > 0) {
      this.#buffer.copyWithin(0, offset, this.#length);
      this.#length -= offset;
    }
    return out;
  }

  /** Emits what is pending (padded with silence), e.g. before the stream stops or changes source. */
  flush(): Frame[] {
    const out: Frame[] = [];
    if (this.#length > 0) this.#flushPadded(out);
    return out;
  }

  #flushPadded(out: Frame[]) {
    const frame = new Uint8Array(this.frameSamples).fill(SILENCE_BYTE[this.codec]);
    frame.set(this.#buffer.subarray(0, this.#length));
    this.paddedSamples += this.frameSamples - this.#length;
    out.push({ timestamp: this.#timestamp, payload: frame });
    this.#length = 0;
  }
}

/**
 * One outgoing RTP stream (own SSRC) fed by changing sources — Janus's mix, a prompt, hold music.
 * Within one source timestamp and sequence steps are kept (so gaps stay gaps); at a source
 * change the timestamp advances by the wall-clock time since the last packet and the marker is set.
 */
export class OutgoingStream {
  readonly ssrc = randomUint32();
  #sequence = randomUint16();
  #timestamp = randomUint32();
  #source: string | null = null;
  #lastIn = { sequence: 0, timestamp: 0 };
  #lastAt = 0;
  #lastSamples = 0;
  packets = 0;

  constructor(readonly clockRate: number) {}

  /** Sequence number, timestamp and marker for the next packet from `source`. */
  next(source: string, inSequence: number, inTimestamp: number, samples: number, nowMs: number) {
    let marker = false;
    if (this.packets === 0) {
      marker = true;
    } else if (source === this.#source) {
      const seqStep = (inSequence - this.#lastIn.sequence) & 0xffff;
      const tsStep = (inTimestamp - this.#lastIn.timestamp) | 0;
      // Sane forward steps are kept; anything else (reset, reorder) is treated like a new source.
      if (seqStep >= 1 && seqStep < 100 && tsStep >= 0 && tsStep < this.clockRate * 10) {
        this.#sequence = (this.#sequence + seqStep) & 0xffff;
        this.#timestamp = (this.#timestamp + tsStep) >>> 0;
      } else {
        this.#advanceByWallClock(nowMs);
        marker = true;
      }
    } else {
      this.#advanceByWallClock(nowMs);
      marker = true;
    }
    this.#source = source;
    this.#lastIn = { sequence: inSequence, timestamp: inTimestamp };
    this.#lastAt = nowMs;
    this.#lastSamples = samples;
    this.packets++;
    return { sequence: this.#sequence, timestamp: this.#timestamp, marker };
  }

  #advanceByWallClock(nowMs: number) {
    const elapsed = Math.round(((nowMs - this.#lastAt) * this.clockRate) / 1000);
    this.#sequence = (this.#sequence + 1) & 0xffff;
    this.#timestamp = (this.#timestamp + Math.max(this.#lastSamples, elapsed)) >>> 0;
  }
}

export interface SpeakingOptions {
  /** Level at or above which audio counts as voice (dBov). */
  onDbov?: number;
  /** Level below which audio counts as quiet (dBov); between the two nothing changes. */
  offDbov?: number;
  /** Voice needed (ms, consecutive) before "speaking". */
  onMs?: number;
  /** Quiet needed (ms, consecutive) before "stopped". */
  offMs?: number;
}

/** Speaking/stopped from per-packet levels, with level and time hysteresis so it does not flap. */
export class SpeakingDetector {
  speaking = false;
  /** Smoothed level (dBov), for diagnostics. */
  level = -127;
  #voiceMs = 0;
  #quietMs = 0;
  readonly #on: number;
  readonly #off: number;
  readonly #onMs: number;
  readonly #offMs: number;

  constructor(options: SpeakingOptions = {}) {
    this.#on = options.onDbov ?? -40;
    this.#off = options.offDbov ?? -50;
    this.#onMs = options.onMs ?? 80;
    this.#offMs = options.offMs ?? 700;
  }

  /** Feeds one packet's level; answers the new state when it changed. */
  push(levelDbov: number, durationMs: number): "speaking" | "stopped" | null {
    this.level = this.level + (levelDbov - this.level) * 0.2;
    if (levelDbov >= this.#on) {
      this.#voiceMs += durationMs;
      this.#quietMs = 0;
    } else if (levelDbov < this.#off) {
      this.#quietMs += durationMs;
      this.#voiceMs = 0;
    }
    if (!this.speaking && this.#voiceMs >= this.#onMs) {
      this.speaking = true;
      return "speaking";
    }
    if (this.speaking && this.#quietMs >= this.#offMs) {
      this.speaking = false;
      return "stopped";
    }
    return null;
  }
}

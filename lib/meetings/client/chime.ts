// The speaker test's sound: a two-note chime made here as a small WAV (no sound file to fetch or
// cache), played through an <audio> element on the chosen output (setSinkId where the browser has
// it), so the test goes exactly where the meeting's audio will go.

const RATE = 16_000;
/** Two notes, each with a short fade in and a longer fade out. */
const NOTES = [{ hz: 660, ms: 350 }, { hz: 880, ms: 550 }];

/** 16-bit mono PCM WAV bytes of the chime. */
export function chimeWav(): Uint8Array {
  const samples: number[] = [];
  for (const { hz, ms } of NOTES) {
    const n = Math.round((RATE * ms) / 1000);
    for (let i = 0; i < n; i++) {
      const t = i / RATE;
      const envelope = Math.min(1, i / (RATE * 0.01)) * Math.exp(-3 * (i / n));
      samples.push(0.4 * envelope * Math.sin(2 * Math.PI * hz * t));
    }
  }
  const data = samples.length * 2;
  const bytes = new Uint8Array(44 + data);
  const v = new DataView(bytes.buffer);
  const ascii = (at: number, s: string) => [...s].forEach((ch, i) => v.setUint8(at + i, ch.charCodeAt(0)));
  ascii(0, "RIFF");
  v.setUint32(4, 36 + data, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  v.setUint32(16, 16, true); // fmt chunk size
  v.setUint16(20, 1, true); // PCM
  v.setUint16(22, 1, true); // mono
  v.setUint32(24, RATE, true);
  v.setUint32(28, RATE * 2, true); // byte rate
  v.setUint16(32, 2, true); // block align
  v.setUint16(34, 16, true); // bits per sample
  ascii(36, "data");
  v.setUint32(40, data, true);
  samples.forEach((x, i) => v.setInt16(44 + i * 2, Math.round(Math.max(-1, Math.min(1, x)) * 32767), true));
  return bytes;
}

/** Plays the chime on `sinkId` (the default output without one); settles when it has finished. */
export async function playChime(sinkId?: string): Promise<void> {
  const url = URL.createObjectURL(new Blob([chimeWav() as BlobPart], { type: "audio/wav" }));
  const audio = new Audio(url) as HTMLAudioElement & { setSinkId?: (id: string) => Promise<void> };
  try {
    if (sinkId && audio.setSinkId) await audio.setSinkId(sinkId);
    const ended = new Promise<void>((resolve, reject) => {
      audio.onended = () => resolve();
      audio.onerror = () => reject(new Error("the test sound could not be played"));
    });
    await audio.play();
    await ended;
  } finally {
    URL.revokeObjectURL(url);
  }
}

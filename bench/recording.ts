// Post-processing speed of a recording: a 60 s meeting of 4 participants recorded through Janus's
// real recorders (tests/support/recording_rig.ts: VideoRoom remote publishers fed VP8 640×360 test
// patterns and Opus tones by ffmpeg), then composed (janus-pp-rec + one ffmpeg pass) once per
// output setting, side by side: seconds, multiple of real time, and the peak resident memory of
// janus-pp-rec and of ffmpeg (VmHWM from /proc, read until each exits).
// Usage: deno run -A bench/recording.ts   (goal: ≥ 8× real time, peak < 1 GB)
// Options: BENCH_SECONDS (60), BENCH_PEOPLE (4), BENCH_SETTINGS ("1280x720@25:veryfast,1280x720@25:superfast,…").

import { startRecordingRig } from "../tests/support/recording_rig.ts";
import { processRecording } from "../gateway/recording/processor.ts";
import { RecordingFolder } from "../gateway/recording/manifest.ts";
import { poll } from "../tests/support/wait.ts";
import { missingPrograms } from "../tests/support/tools.ts";

const SECONDS = Number(Deno.env.get("BENCH_SECONDS") ?? 60);
const PEOPLE = Number(Deno.env.get("BENCH_PEOPLE") ?? 4);
const SETTINGS = (Deno.env.get("BENCH_SETTINGS") ??
  "1280x720@25:veryfast,1280x720@25:superfast,1280x720@25:ultrafast,960x540@25:veryfast,1280x720@15:veryfast")
  .split(",").map((s) => {
    const m = /^(\d+)x(\d+)@(\d+):(\w+)$/.exec(s.trim());
    if (!m) throw new Error(`BENCH_SETTINGS: ${s} should look like 1280x720@25:veryfast`);
    return { width: Number(m[1]), height: Number(m[2]), fps: Number(m[3]), preset: m[4] };
  });

/** Peak RSS (MiB) of a process, followed until it exits. */
function followPeak(pid: number, peaks: Map<string, number>, tool: string) {
  const read = async () => {
    const status = await Deno.readTextFile(`/proc/${pid}/status`).catch(() => null);
    const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status ?? "")?.[1] ?? NaN);
    if (Number.isFinite(kb)) peaks.set(tool, Math.max(peaks.get(tool) ?? 0, kb / 1024));
    return status !== null;
  };
  void (async () => {
    while (await read()) await new Promise((r) => setTimeout(r, 20));
  })();
}

const loadavg = async () => (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ");

if (import.meta.main) {
  const missing = missingPrograms("janus", "janus-pp-rec", "ffmpeg");
  if (missing.length) {
    console.log(`skipped: ${missing.join(", ")} not installed`);
    Deno.exit(0);
  }
  const root = await Deno.makeTempDir({ prefix: "talkspace-bench-recording-" });
  const source = `${root}/recordings`;
  const patterns = ["testsrc2", "life", "testsrc2", "life"];
  console.log(`recording ${PEOPLE} participants for ${SECONDS} s through Janus (load ${await loadavg()})…`);
  const rig = await startRecordingRig({ dir: source });
  try {
    for (let i = 0; i < PEOPLE; i++) {
      await rig.publisher(`p${i + 1}`, { pattern: patterns[i % 4], toneHz: 300 + 100 * i, seconds: SECONDS + 30 });
    }
    const names = Object.fromEntries(Array.from({ length: PEOPLE }, (_, i) => [`p${i + 1}`, `Participant ${i + 1}`]));
    await rig.recordings.start(rig.meetingId, "bench", names);
    await poll(
      `${SECONDS} s of recording`,
      async () => (await rig.recordings.status("bench")).durationSeconds! >= SECONDS,
      (SECONDS + 30) * 1000,
      200,
    );
    rig.recordings.jobs.stop();
    await rig.recordings.stop(rig.meetingId);
  } finally {
    await rig.stop();
  }

  const rows: string[][] = [];
  for (const video of SETTINGS) {
    const copy = `${root}/run-${video.width}x${video.height}-${video.fps}-${video.preset}`;
    await new Deno.Command("cp", { args: ["-r", `${source}/bench`, copy] }).output();
    const peaks = new Map<string, number>();
    const before = await loadavg();
    const t0 = performance.now();
    const result = await processRecording(new RecordingFolder(copy), video, {
      onSpawn: (pid, tool) => followPeak(pid, peaks, tool),
    });
    const seconds = (performance.now() - t0) / 1000;
    rows.push([
      `${video.width}×${video.height} ${video.fps} fps ${video.preset}`,
      seconds.toFixed(1),
      (result.durationSeconds / seconds).toFixed(1) + "×",
      (peaks.get("janus-pp-rec") ?? 0).toFixed(0),
      (peaks.get("ffmpeg") ?? 0).toFixed(0),
      (result.sizeBytes / 1e6).toFixed(1),
      `${before} → ${await loadavg()}`,
    ]);
    await Deno.remove(copy, { recursive: true });
  }
  await Deno.remove(root, { recursive: true }).catch(() => {});
  const head = ["output", "seconds", "× real time", "pp-rec MiB", "ffmpeg MiB", "MB", "load before → after"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join("  ");
  console.log(`\n${PEOPLE} participants, ${SECONDS} s meeting, 2 cores (goal ≥ 8× real time, peak < 1 GB)`);
  console.log(line(head));
  for (const r of rows) console.log(line(r));
}

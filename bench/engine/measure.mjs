/**
 * Timing and statistics for the engine bench. Each sample is one whole run timed with
 * `performance.now()`. When the process runs with `--expose-gc`, a collection happens before each
 * bench's warm-up, never between timed runs: a forced full GC shrinks V8's young generation, and
 * the next run then pays for many extra scavenges (it doubled the `branch` chain's time per node).
 */

/** `global.gc` when exposed, else a no-op: the bench never requires `--expose-gc`. */
export const collectGarbage = typeof globalThis.gc === "function" ? () => globalThis.gc() : () => {};

/**
 * Runs `once` `warmupRuns` times untimed, then `runs` times timed. `check` sees every result,
 * warm-up included, and throws to abort the bench. Returns the timed durations in milliseconds.
 */
export async function sample(once, { warmupRuns, runs, check }) {
  collectGarbage();
  for (let i = 0; i < warmupRuns; i++) check(await once());
  const durationsMs = new Array(runs);
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const result = await once();
    durationsMs[i] = performance.now() - t0;
    check(result);
  }
  return durationsMs;
}

/** Nearest-rank percentile (p in 0..100) of unsorted samples. */
export function percentile(samples, p) {
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Median, p90, p99, min and count of samples, each divided by `perUnit` (nodes per run, say). */
export function summarise(samplesMs, perUnit = 1) {
  const scaled = samplesMs.map((ms) => ms / perUnit);
  return {
    runs: scaled.length,
    medianMs: percentile(scaled, 50),
    p90Ms: percentile(scaled, 90),
    p99Ms: percentile(scaled, 99),
    minMs: Math.min(...scaled),
  };
}

/**
 * How the LLM bench drives a client: a closed loop of `concurrency` lanes (each lane starts its next
 * call as soon as its last one is answered) for throughput and latency; a series of cancels of
 * stalled streams; and many calls sharing one long-lived AbortSignal for the listener count.
 *
 * Cancels are timed across processes: the client's `abort()` time on its `performance.now()`, and the
 * server's record of the client closing converted to that clock (see spawn-mock.mjs). Each
 * cancelled call names its own model, so each server record is matched to its call, and nothing is
 * polled while the series runs.
 */
import { getEventListeners } from "node:events";
import v8 from "node:v8";
import vm from "node:vm";

/** `call(i)` `calls` times, `concurrency` at a time; per-call latencies and the whole span in ms. */
export async function closedLoop(call, { calls, concurrency }) {
  const latenciesMs = new Array(calls);
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < calls; i = next++) {
      const startedAt = performance.now();
      await call(i);
      latenciesMs[i] = performance.now() - startedAt;
    }
  };
  const startedAt = performance.now();
  await Promise.all(Array.from({ length: concurrency }, lane));
  return { latenciesMs, elapsedMs: performance.now() - startedAt };
}

/** The answer the mock gives to `prompt` with its default reply. */
export const expectedReply = (prompt, model = "mock-model") => `mock reply from ${model}: ${prompt}`;

/** A stalled call whose abort never came (no tokens) is aborted anyway after this long, and flagged. */
const ABORT_FALLBACK_MS = 2_000;
/** Tokens to see before the abort: the mock's stall rule sends two chunks, then nothing. */
const TOKENS_BEFORE_ABORT = 2;

/**
 * `count` cancels, one after another, after `warmup` untimed ones. `start({ prompt, model, signal,
 * onToken })` starts one call against the stall rule and resolves or rejects as the client does;
 * `abort(controller)` aborts it (each client with the reason its callers would use). Returns, per
 * timed cancel: the model it used, the client's abort time, how long the call took to settle after
 * it, and how it settled (`describe` turns a settlement into a label).
 */
export async function cancelSeries({ start, abort, describe, count, warmup, tag }) {
  const cancels = [];
  for (let i = 0; i < warmup + count; i++) {
    const model = `${i < warmup ? "warmup" : "cancel"}-${tag}-${i}`;
    const controller = new AbortController();
    let tokens = 0;
    let abortAtMs;
    const abortNow = () => {
      if (abortAtMs !== undefined) return;
      abortAtMs = performance.now();
      abort(controller);
    };
    // The abort comes from a later macrotask, as a user's cancel would, not from inside the
    // client's own token callback.
    const onToken = () => {
      if (++tokens === TOKENS_BEFORE_ABORT) setImmediate(abortNow);
    };
    const fallback = setTimeout(abortNow, ABORT_FALLBACK_MS);
    let settlement;
    try {
      settlement = { value: await start({ prompt: `STALL ${model}`, model, signal: controller.signal, onToken }) };
    } catch (error) {
      settlement = { error };
    }
    const settledAtMs = performance.now();
    clearTimeout(fallback);
    if (i < warmup) continue;
    cancels.push({
      model,
      abortAtMs,
      settleMs: abortAtMs === undefined ? undefined : settledAtMs - abortAtMs,
      tokensBeforeAbort: tokens,
      outcome: describe(settlement),
    });
  }
  return cancels;
}

/** Waits (bounded) until the server has recorded a client abort for every model in `cancels`. */
export async function serverCloseTimes(mock, cancels, timeoutMs = 3_000) {
  const wanted = new Set(cancels.map((c) => c.model));
  const end = performance.now() + timeoutMs;
  for (;;) {
    const aborts = (await mock.stats()).clientAborts.filter((a) => wanted.has(a.model));
    if (aborts.length >= wanted.size || performance.now() > end) {
      const byModel = new Map();
      for (const a of aborts) byModel.set(a.model, mock.toClientMs(a.atMs));
      return cancels.map((c) => (byModel.has(c.model) && c.abortAtMs !== undefined ? byModel.get(c.model) - c.abortAtMs : undefined));
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Abort listeners on `signal` right now. */
export const abortListeners = (signal) => getEventListeners(signal, "abort").length;

/**
 * A full garbage collection, with or without `--expose-gc`. Node's `fetch` removes the abort
 * listener it put on a caller's signal only when its request object is collected (a
 * FinalizationRegistry), so for the fetch-based SDKs "listeners left" depends on when the GC last
 * ran; counting again after a forced collection separates those from listeners that are never removed.
 */
export function collectGarbage() {
  if (typeof globalThis.gc === "function") return globalThis.gc();
  v8.setFlagsFromString("--expose-gc");
  vm.runInNewContext("gc")();
}

/**
 * The load generator: autocannon's programmatic API in the bench process, a closed loop of N
 * keep-alive connections over loopback, each sending its next request as soon as the last answer
 * is in. Bounded by time (warm-up + measured span) and by autocannon's per-request timeout.
 *
 * One autocannon instance covers the warm-up and the measured span, and only answers that arrive
 * after the warm-up count. The connections are thus the same ones throughout: opening N new
 * connections to a saturated Node server delays their first answers (up to about a second at 64
 * connections, also with a bare `node:http` server doing the same work per request), and that
 * start-up belongs to the warm-up, not to the steady state being measured.
 *
 * Per-request latencies come from autocannon's `response` event (float milliseconds, from the
 * request written to the response complete), not from its histogram, which keeps whole
 * milliseconds. Requests/s is the answers received in the measured span over its length. Every
 * answer's body goes through `verifyBody`; a body that fails it counts as a mismatch.
 */
import autocannon from "autocannon";
import { percentile } from "../engine/measure.mjs";

/** Seconds autocannon waits for one answer before it counts a timeout (an error). */
const REQUEST_TIMEOUT_S = 10;

/**
 * `meter()` is called when the measured span starts and returns `{ stop() }`, called when it
 * ends; whatever `stop()` returns is the result's `meter` (the CPU counts, in run.mjs).
 */
export async function runLoad({ url, method = "POST", headers, body, connections, warmupS, durationS, verifyBody, meter = () => ({ stop: () => undefined }) }) {
  const latenciesMs = [];
  const statusCounts = new Map();
  let measuring = false;
  let mismatches = 0;
  let errors = 0;
  let timeouts = 0;
  const instance = autocannon({
    url,
    method,
    headers,
    body,
    connections,
    duration: warmupS + durationS,
    timeout: REQUEST_TIMEOUT_S,
    verifyBody: (text) => {
      const ok = verifyBody(text);
      if (!ok && measuring) mismatches++;
      return ok;
    },
  });
  let running;
  let windowStartedAt;
  const windowTimer = setTimeout(() => {
    measuring = true;
    windowStartedAt = performance.now();
    running = meter();
  }, warmupS * 1000);
  instance.on("response", (_client, statusCode, _bytes, responseTimeMs) => {
    if (!measuring) return;
    latenciesMs.push(responseTimeMs);
    statusCounts.set(statusCode, (statusCounts.get(statusCode) ?? 0) + 1);
  });
  // A timeout is reported as a reqError too (autocannon's own wording).
  instance.on("reqError", (error) => {
    if (!measuring) return;
    errors++;
    if (error?.message === "request timed out") timeouts++;
  });
  const result = await instance;
  clearTimeout(windowTimer);
  if (!measuring) throw new Error(`autocannon stopped before the measured span began (${JSON.stringify({ errors: result.errors, non2xx: result.non2xx })})`);
  measuring = false;
  const spanS = (performance.now() - windowStartedAt) / 1000;
  const measured = running.stop();
  let non2xx = 0;
  for (const [status, n] of statusCounts) if (status < 200 || status > 299) non2xx += n;
  return {
    connections,
    responses: latenciesMs.length,
    requestsPerS: latenciesMs.length / spanS,
    p50Ms: percentile(latenciesMs, 50),
    p99Ms: percentile(latenciesMs, 99),
    maxMs: Math.max(...latenciesMs),
    statusCounts: Object.fromEntries([...statusCounts].sort(([a], [b]) => a - b)),
    non2xx,
    mismatches,
    errors,
    timeouts,
    /** autocannon's own counts over the warm-up and the measured span together. */
    total: { non2xx: result.non2xx, mismatches: result.mismatches, errors: result.errors, timeouts: result.timeouts },
    spanS,
    meter: measured,
  };
}

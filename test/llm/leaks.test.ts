/**
 * Issue 3 acceptance, "Leaks" (SPEC §1.3): after 500 LLM calls mixing faults and cancels, and 50
 * runs whose llm node and JavaScript node (llm.ask in a loop, llm.askAsync fanned out) hit the same
 * faults, every call settled exactly once, no abort listener is left on the long-lived signal they
 * all hung from, no timer or other resource outlives them, pooled sockets stay within the pool
 * limit, nothing reached stderr, no unhandled rejection occurred, and after `runtime.close()` the
 * process exits by itself.
 *
 * The work runs in a child process (test/fixtures/llm-leaks/leak-check.mjs, against the built
 * dist/), because only a process of its own shows its active resources, its stderr and whether it
 * exits without help.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");
const SCRIPT = path.join(ROOT, "test/fixtures/llm-leaks/leak-check.mjs");
const CHILD_DEADLINE_MS = 60_000;
/** From the summary line (printed after close()) to the process having exited. */
const EXIT_AFTER_CLOSE_MS = 3_000;

interface PhaseMeasures {
  timeoutsBefore: number;
  timeoutsAfter: number;
  tcpSockets: number;
  serverSideSockets: number;
  clientSockets: number;
  connectionsOpened: number;
  serverInFlight: number;
  runtimeInFlight: number;
  abortListeners: number;
  resourcesBefore: Record<string, number>;
  resourcesAfter: Record<string, number>;
  wrong: string[];
}

interface Summary {
  poolLimit: number;
  ask: PhaseMeasures & {
    calls: number;
    successes: number;
    failures: number;
    cancels: number;
    expectedUncancelled: { successes: number; failures: number };
    failuresByCode: Record<string, number>;
    settledOtherThanOnce: number;
  };
  runs: PhaseMeasures & { runs: number; settled: number; statuses: Record<string, number>; llmCallsInLoop: number; loopErrors: number };
  unhandledRejections: string[];
  warnings: Array<{ name: string; message: string; at: string[] }>;
  abortListenersAtEnd: number;
  durationMs: number;
  closeMs: number;
}

interface ChildOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** ms from the summary line (written after close()) to the exit; NaN when none was written. */
  exitAfterSummaryMs: number;
  hung: boolean;
}

function runLeakCheck(): Promise<ChildOutcome> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.NODE_OPTIONS;
    const child = spawn(process.execPath, [SCRIPT], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let summaryAt = Number.NaN;
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      if (Number.isNaN(summaryAt) && stdout.includes("\n")) summaryAt = performance.now();
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    let hung = false;
    const guard = setTimeout(() => {
      hung = true;
      child.kill("SIGKILL");
    }, CHILD_DEADLINE_MS);
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      const exitedAt = performance.now();
      clearTimeout(guard);
      // 'close' follows once the pipes have drained.
      child.on("close", () => resolve({ code, signal, stdout, stderr, exitAfterSummaryMs: exitedAt - summaryAt, hung }));
    });
  });
}

function othersWithinBaseline(before: Record<string, number>, after: Record<string, number>): string[] {
  // Pooled keep-alive sockets are checked against the pool limit instead.
  return Object.entries(after)
    .filter(([type, n]) => type !== "TCPSocketWrap" && n > (before[type] ?? 0))
    .map(([type, n]) => `${type}: ${before[type] ?? 0} → ${n}`);
}

/** One phase's end state: no abort listener, timer, other resource, attempt or request outlives it; sockets within the pool. */
function expectNothingLeftBehind(phase: PhaseMeasures, poolLimit: number): void {
  expect(phase.abortListeners).toBe(0);
  expect(phase.timeoutsAfter).toBeLessThanOrEqual(phase.timeoutsBefore);
  expect(othersWithinBaseline(phase.resourcesBefore, phase.resourcesAfter)).toEqual([]);
  expect(phase.clientSockets).toBeLessThanOrEqual(poolLimit);
  expect(phase.serverSideSockets).toBeLessThanOrEqual(poolLimit);
  expect(phase.runtimeInFlight).toBe(0);
  expect(phase.serverInFlight).toBe(0);
}

let outcome: ChildOutcome;
let summary: Summary;

beforeAll(async () => {
  if (!existsSync(path.join(ROOT, "dist/index.js"))) throw new Error("dist/ is missing: run `npm run build` first");
  outcome = await runLeakCheck();
  summary = JSON.parse(outcome.stdout) as Summary;
  const { ask, runs } = summary;
  console.info(
    [
      `leak check: ${summary.durationMs} ms of calls, close() ${summary.closeMs} ms, exit ${outcome.exitAfterSummaryMs.toFixed(0)} ms after the summary`,
      `  ask: ${ask.successes} ok, ${ask.failures} failed ${JSON.stringify(ask.failuresByCode)}, ${ask.cancels} cancelled; ` +
        `Timeout ${ask.timeoutsBefore} → ${ask.timeoutsAfter}; sockets client ${ask.clientSockets} server ${ask.serverSideSockets} (pool ${summary.poolLimit}); ` +
        `${ask.connectionsOpened} connections opened; abort listeners ${ask.abortListeners}`,
      `  runs: ${JSON.stringify(runs.statuses)}, ${runs.llmCallsInLoop} llm.ask calls in the loops (${runs.loopErrors} failed); ` +
        `Timeout ${runs.timeoutsBefore} → ${runs.timeoutsAfter}; sockets client ${runs.clientSockets} server ${runs.serverSideSockets}; abort listeners ${runs.abortListeners}`,
      `  warnings: ${summary.warnings.length}, unhandled rejections: ${summary.unhandledRejections.length}`,
    ].join("\n"),
  );
}, CHILD_DEADLINE_MS + 5_000);

describe.sequential("500 LLM calls and 50 runs mixing faults and cancels, in a process of their own", () => {
  it("the process exits by itself soon after runtime.close(), with exit 0 and nothing on stderr", () => {
    expect(outcome.hung).toBe(false);
    expect(outcome.signal).toBeNull();
    // The warnings first: each carries the stack of the code that printed it.
    expect(summary.warnings).toEqual([]);
    expect(outcome.stderr).toBe("");
    expect(outcome.code).toBe(0);
    expect(outcome.exitAfterSummaryMs).toBeLessThan(EXIT_AFTER_CLOSE_MS);
  });

  it("no unhandled rejection occurred", () => {
    expect(summary.unhandledRejections).toEqual([]);
  });

  it("LlmRuntime.ask: every call settled exactly once, and each outcome is the one its fault or cancel calls for", () => {
    const { ask } = summary;
    expect(ask.settledOtherThanOnce).toBe(0);
    expect(ask.successes + ask.failures + ask.cancels).toBe(500);
    expect(ask.wrong).toEqual([]);
    // Calls without a cancel: normal replies succeed, faults fail; cancelled calls may have failed first.
    expect(ask.successes).toBeGreaterThanOrEqual(ask.expectedUncancelled.successes);
    expect(ask.failures).toBeGreaterThanOrEqual(ask.expectedUncancelled.failures);
    expect(ask.expectedUncancelled.successes).toBeGreaterThan(50);
    expect(ask.expectedUncancelled.failures).toBeGreaterThan(100);
    expect(ask.cancels).toBeGreaterThan(100);
    // A cancel is never reported as a provider failure.
    expect(Object.keys(ask.failuresByCode)).toEqual(["FF_LLM_UNAVAILABLE"]);
  });

  it("LlmRuntime.ask: no listener, timer, attempt or request is left behind, and sockets stay within the pool limit", () => {
    expectNothingLeftBehind(summary.ask, summary.poolLimit);
  });

  it("runs: every run settled with the status its inputs and cancel call for", () => {
    const { runs } = summary;
    expect(runs.settled).toBe(50);
    expect(runs.wrong).toEqual([]);
    expect(Object.values(runs.statuses).reduce((a, b) => a + b, 0)).toBe(50);
    expect(Object.keys(runs.statuses).sort()).toEqual(["cancelled", "failed", "succeeded"]);
    expect(runs.statuses.cancelled).toBeGreaterThan(5);
    expect(runs.llmCallsInLoop).toBeGreaterThan(50);
    expect(runs.loopErrors).toBeGreaterThan(10);
  });

  it("runs: no listener, timer, attempt or request is left behind, and sockets stay within the pool limit", () => {
    expectNothingLeftBehind(summary.runs, summary.poolLimit);
    expect(summary.abortListenersAtEnd).toBe(0);
  });
});

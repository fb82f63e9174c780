/**
 * SIGINT during an LLM call that mock-llm keeps stalled after its headers: the acceptance every such
 * CLI test shares (exit 130 within 1 s, run cancelled, the server sees that very request closed).
 */
import { expect } from "vitest";
import type { MockLlmServer } from "../../../src/mock-llm/index.js";
import type { CliProcess, CliResult } from "./spawn-cli.js";

async function until(mock: MockLlmServer, condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}; mock stats ${JSON.stringify(mock.stats())}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Waits until the mock has seen `requests` requests and exactly one is in flight (the stalled one). */
export function untilStalled(mock: MockLlmServer, requests: number, what: string): Promise<void> {
  return until(mock, () => mock.stats().requests === requests && mock.stats().inFlight === 1, what);
}

/**
 * Sends SIGINT to a `flockflow run … --json` whose latest LLM request is stalled at the mock (see
 * `untilStalled`), and checks: no signal exit, code 130 within 1 s of the signal, empty stderr,
 * status "cancelled" with a RunCancelledError; the server saw that request closed within 1 s of the
 * signal, one client abort in all, and still `requests` requests. Returns the CLI result and its
 * parsed JSON for the test's own checks. `label` names the call in the timing line it prints.
 */
export async function sigintDuringStalledCall(mock: MockLlmServer, proc: CliProcess, { requests, label }: { requests: number; label: string }): Promise<{ r: CliResult; result: any }> {
  const stalled = mock.requests().at(-1)!;
  const sentAt = performance.now();
  proc.child.kill("SIGINT");
  const r = await proc.done;
  const exitMs = r.exitedAt - sentAt;
  await until(mock, () => mock.stats().clientAborts.length > 0, "the client abort", 1_000);
  const abort = mock.stats().clientAborts[0]!;
  console.info(`SIGINT during ${label}: exit ${exitMs.toFixed(0)} ms, server saw the close ${(abort.atMs - sentAt).toFixed(1)} ms after the signal`);
  expect(r.signal).toBeNull();
  expect(r.code).toBe(130);
  expect(exitMs).toBeLessThan(1_000);
  expect(r.stderr).toBe("");
  const result = JSON.parse(r.stdout);
  expect(result.status).toBe("cancelled");
  expect(result.error).toMatch(/^RunCancelledError: /);
  expect(abort.requestId).toBe(stalled.id);
  expect(abort.atMs - sentAt).toBeLessThan(1_000);
  expect(mock.stats().clientAborts).toHaveLength(1);
  expect(mock.stats().requests).toBe(requests);
  return { r, result };
}

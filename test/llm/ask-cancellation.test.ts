/**
 * Issue 3 acceptance, cancellation: a cancel in each phase rejects with the caller's
 * RunCancelledError (the same object) within 50 ms, the server sees the client close within 100 ms,
 * and no request is sent after the cancel. And a timeout is not a cancel: it fires on time even with
 * a cancel signal attached, and is retryable.
 */
import { describe, expect, it } from "vitest";
import { RunCancelledError } from "../../src/errors.js";
import { ConcurrencyBudget } from "../../src/llm/concurrency-budget.js";
import type { MockLlmServer } from "../../src/mock-llm/index.js";
import { askRequest, ctx, runtimeFor, settleTime, untilRequests, useMockLlm } from "../support/llm.js";

const t = useMockLlm({ runtime: true });

async function cancelDuring(behavior: Parameters<MockLlmServer["setRules"]>[0][0]["behavior"], startAfterRequests = 1) {
  t.mock.setRules([{ behavior }]);
  const controller = new AbortController();
  const reason = new RunCancelledError("run-1");
  const pending = settleTime(t.llm.ask(askRequest("hello", { maxRetries: 3, retryDelayMs: 2000 }), ctx(controller.signal)));
  await untilRequests(t.mock, startAfterRequests);
  await new Promise((r) => setTimeout(r, 100));
  const cancelAt = performance.now();
  controller.abort(reason);
  const settled = await pending;
  return { settled, cancelAt, reason };
}

async function clientAbortWithin(ms: number, since: number): Promise<number> {
  const end = performance.now() + 500;
  while (t.mock.stats().clientAborts.length === 0 && performance.now() < end) await new Promise((r) => setTimeout(r, 2));
  const abort = t.mock.stats().clientAborts[0];
  expect(abort, "the server saw no client abort").toBeDefined();
  const delay = abort!.atMs - since;
  expect(delay).toBeLessThan(ms);
  return delay;
}

describe("cancel in each phase", () => {
  it("waiting for headers: rejects with the same RunCancelledError within 50 ms; the server sees the close within 100 ms", async () => {
    const { settled, cancelAt, reason } = await cancelDuring({ firstByteDelayMs: 5000 });
    expect(settled.error).toBe(reason);
    expect(settled.atMs - cancelAt).toBeLessThan(50);
    await clientAbortWithin(100, cancelAt);
    expect(t.mock.stats().requests).toBe(1);
  });

  it("mid-stream: rejects within 50 ms and the server sees the close within 100 ms", async () => {
    const { settled, cancelAt, reason } = await cancelDuring({ stallAfterChunks: 2 });
    expect(settled.error).toBe(reason);
    expect(settled.atMs - cancelAt).toBeLessThan(50);
    await clientAbortWithin(100, cancelAt);
  });

  it("during a backoff sleep: rejects within 50 ms and no request is sent after the cancel", async () => {
    const { settled, cancelAt, reason } = await cancelDuring({ status: 503 });
    expect(settled.error).toBe(reason);
    expect(settled.atMs - cancelAt).toBeLessThan(50);
    await new Promise((r) => setTimeout(r, 300));
    expect(t.mock.stats().requests).toBe(1);
  });

  it("waiting for a connection (pool full): rejects within 50 ms and the request never reaches the server", async () => {
    const single = runtimeFor(t.mock, { maxConnections: 1 });
    t.mock.setRules([{ match: { promptIncludes: "holder" }, behavior: { stallAfterHeaders: true } }]);
    const holder = new AbortController();
    const holding = single.ask(askRequest("holder"), ctx(holder.signal)).catch(() => {});
    await untilRequests(t.mock, 1);
    const controller = new AbortController();
    const reason = new RunCancelledError("run-2");
    const pending = settleTime(single.ask(askRequest("queued"), ctx(controller.signal)));
    await new Promise((r) => setTimeout(r, 100));
    const cancelAt = performance.now();
    controller.abort(reason);
    const settled = await pending;
    expect(settled.error).toBe(reason);
    expect(settled.atMs - cancelAt).toBeLessThan(50);
    holder.abort(new RunCancelledError("holder"));
    await holding;
    await new Promise((r) => setTimeout(r, 50));
    expect(t.mock.requests().map((r) => (r.body as { messages: Array<{ content: string }> }).messages[0]!.content)).toEqual(["holder"]);
    await single.close();
  });

  it("waiting for the run's LLM budget: rejects within 50 ms without sending", async () => {
    const budget = new ConcurrencyBudget(1);
    const release = await budget.acquire(new AbortController().signal);
    const controller = new AbortController();
    const reason = new RunCancelledError("run-3");
    const pending = settleTime(t.llm.ask(askRequest("hello"), ctx(controller.signal, { budget })));
    await new Promise((r) => setTimeout(r, 50));
    const cancelAt = performance.now();
    controller.abort(reason);
    const settled = await pending;
    release();
    expect(settled.error).toBe(reason);
    expect(settled.atMs - cancelAt).toBeLessThan(50);
    expect(t.mock.stats().requests).toBe(0);
  });

  it("before or during preflight (already cancelled): rejects at once and sends nothing", async () => {
    const controller = new AbortController();
    const reason = new RunCancelledError("run-4");
    controller.abort(reason);
    const t0 = performance.now();
    await expect(t.llm.ask(askRequest("hello"), ctx(controller.signal))).rejects.toBe(reason);
    expect(performance.now() - t0).toBeLessThan(50);
    expect(t.mock.stats().requests).toBe(0);
  });

  it("a cancel is never retried nor falls back to the default model", async () => {
    t.mock.setRules([{ behavior: { stallAfterHeaders: true } }]);
    const controller = new AbortController();
    const pending = t.llm.ask(askRequest("hello", { maxRetries: 5 }, { model: "primary" }), ctx(controller.signal));
    await untilRequests(t.mock, 1);
    controller.abort(new RunCancelledError("run-5"));
    await expect(pending).rejects.toMatchObject({ name: "RunCancelledError" });
    await new Promise((r) => setTimeout(r, 200));
    expect(t.mock.stats().requestsByModel).toEqual({ primary: 1 });
  });
});

describe("timeouts are not cancellation", () => {
  it("the per-attempt timeout fires on time with a cancel signal attached, and is a retryable TimeoutError", async () => {
    t.mock.setRules([{ behavior: { stallAfterHeaders: true } }]);
    const controller = new AbortController();
    const t0 = performance.now();
    const error = (await t.llm.ask(askRequest("hello", { timeoutMs: 200, ttftTimeoutMs: 5000, maxRetries: 0 }), ctx(controller.signal)).catch((e: unknown) => e)) as {
      name: string;
      failures: Array<{ message: string }>;
    };
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(195);
    expect(elapsed).toBeLessThan(400);
    expect(error.name).toBe("LlmAskError");
    expect(error.failures[0]!.message).toBe("LLM call timed out after 0.2s");
    expect(controller.signal.aborted).toBe(false);
  });

  it("a timed-out attempt is retried and recovers", async () => {
    t.mock.setRules([{ behavior: { stallAfterHeaders: true, failFirst: 1 } }]);
    const controller = new AbortController();
    const text = await t.llm.ask(askRequest("hello", { timeoutMs: 200, maxRetries: 1 }), ctx(controller.signal));
    expect(text).toBe("mock reply from mock-model: hello");
    expect(t.mock.stats().requests).toBe(2);
  });
});

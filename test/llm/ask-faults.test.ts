/**
 * Issue 3 acceptance, fault kinds: for each fault the mock can script, with retries the call
 * recovers and the server saw exactly the expected number of requests; without retries the error
 * names the fault. All over real loopback HTTP.
 */
import { describe, expect, it } from "vitest";
import type { MockBehavior } from "../../src/mock-llm/index.js";
import { askRequest, ctx, runtimeFor, useMockLlm } from "../support/llm.js";

const t = useMockLlm({ runtime: true });

const fast = { ttftTimeoutMs: 300, idleTimeoutMs: 300, timeoutMs: 3000 };
const REPLY = "mock reply from mock-model: hello";

interface FaultCase {
  name: string;
  behavior: MockBehavior;
  /** The error a single attempt fails with: name and a message fragment naming the fault. */
  error: { name: string; message: RegExp };
}

const FAULTS: FaultCase[] = [
  { name: "delay before the first byte", behavior: { firstByteDelayMs: 1000 }, error: { name: "TimeoutError", message: /no first token within 0\.3s/ } },
  { name: "stall after headers", behavior: { stallAfterHeaders: true }, error: { name: "TimeoutError", message: /no first token within 0\.3s/ } },
  { name: "stall mid-stream", behavior: { stallAfterChunks: 2 }, error: { name: "TimeoutError", message: /stream went quiet for 0\.3s/ } },
  { name: "5xx before headers", behavior: { status: 503 }, error: { name: "LlmCallError", message: /HTTP 503/ } },
  { name: "socket destroyed mid-stream", behavior: { destroyAfterChunks: 2 }, error: { name: "LlmCallError", message: /the stream was cut/ } },
  { name: "429 with Retry-After", behavior: { status: 429, retryAfterS: 0.2 }, error: { name: "LlmCallError", message: /HTTP 429/ } },
  { name: "malformed SSE", behavior: { malformedAfterChunks: 1 }, error: { name: "LlmCallError", message: /malformed stream/ } },
  { name: "an error event mid-stream", behavior: { errorEventAfterChunks: 1 }, error: { name: "LlmCallError", message: /the stream reported an error: upstream overloaded/ } },
];

describe("each fault kind", () => {
  for (const fault of FAULTS) {
    it(`${fault.name}: recovers with a retry, and the server saw exactly 2 requests`, async () => {
      t.mock.setRules([{ behavior: { ...fault.behavior, failFirst: 1 } }]);
      const text = await t.llm.ask(askRequest("hello", { ...fast, maxRetries: 2 }), ctx());
      expect(text).toBe(REPLY);
      expect(t.mock.stats().requests).toBe(2);
    });

    it(`${fault.name}: without retries the error names the fault`, async () => {
      t.mock.setRules([{ behavior: fault.behavior }]);
      const error = await t.llm.ask(askRequest("hello", { ...fast, maxRetries: 0 }), ctx()).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: "LlmAskError", code: "FF_LLM_UNAVAILABLE" });
      const failure = (error as { failures: Array<{ message: string }> }).failures[0]!;
      expect(failure.message).toMatch(fault.error.message);
      expect(t.mock.stats().requests).toBe(1);
    });
  }

  it("fail the first N requests: recovers on attempt N+1 and the server saw N+1 requests", async () => {
    t.mock.setRules([{ behavior: { status: 500, failFirst: 3 } }]);
    const text = await t.llm.ask(askRequest("hello", { maxRetries: 3 }), ctx());
    expect(text).toBe(REPLY);
    expect(t.mock.stats().requests).toBe(4);
  });

  it("429 Retry-After is a minimum wait", async () => {
    t.mock.setRules([{ behavior: { status: 429, retryAfterS: 0.3, failFirst: 1 } }]);
    const t0 = performance.now();
    await t.llm.ask(askRequest("hello", { maxRetries: 1, retryDelayMs: 1 }), ctx());
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290);
  });

  it("a Retry-After longer than the remaining budget is not waited for: the call fails at once", async () => {
    t.mock.setRules([{ behavior: { status: 429, retryAfterS: 30 } }]);
    const t0 = performance.now();
    const error = await t.llm.ask(askRequest("hello", { maxRetries: 3 }), ctx(undefined, { deadlineAt: performance.now() + 2000 })).catch((e: unknown) => e);
    expect(performance.now() - t0).toBeLessThan(500);
    expect((error as Error).message).toMatch(/HTTP 429/);
    expect(t.mock.stats().requests).toBe(1);
  });

  it("empty choices are reported clearly and not retried", async () => {
    t.mock.setRules([{ behavior: { emptyChoices: true } }]);
    const error = await t.llm.ask(askRequest("hello", { maxRetries: 2 }), ctx()).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/returned empty choices/);
    expect(t.mock.stats().requests).toBe(1);
  });
});

describe("4xx responses", () => {
  for (const status of [400, 401, 403, 404, 422]) {
    it(`${status} is never retried, and the next candidate is tried`, async () => {
      t.mock.setRules([{ match: { model: "primary" }, behavior: { status } }]);
      const text = await t.llm.ask(askRequest("hello", { maxRetries: 3 }, { model: "primary" }), ctx());
      expect(text).toBe(REPLY);
      expect(t.mock.stats().requestsByModel).toEqual({ primary: 1, "mock-model": 1 });
    });
  }

  for (const status of [408, 409, 429]) {
    it(`${status} is retried`, async () => {
      t.mock.setRules([{ behavior: { status, failFirst: 1 } }]);
      await t.llm.ask(askRequest("hello", { maxRetries: 1 }), ctx());
      expect(t.mock.stats().requests).toBe(2);
    });
  }

  it("when every candidate fails, one error lists each candidate's failure", async () => {
    t.mock.setRules([{ match: { model: "primary" }, behavior: { status: 404 } }, { behavior: { status: 500 } }]);
    const error = (await t.llm.ask(askRequest("hello", {}, { model: "primary" }), ctx()).catch((e: unknown) => e)) as Error;
    expect(error.name).toBe("LlmAskError");
    expect(error.message).toBe(
      "The requested model is unavailable, and the fallback to the default model failed too. Details: local/primary: HTTP 404: mock-llm: 404 Not Found; local/mock-model: HTTP 500: mock-llm: 500 Internal Server Error",
    );
  });
});

describe("non-streaming providers", () => {
  it("stream: false sends a plain request and returns the message content", async () => {
    const plain = runtimeFor(t.mock, { stream: false });
    try {
      expect(await plain.ask(askRequest("hello"), ctx())).toBe(REPLY);
      expect(t.mock.requests()[0]!.stream).toBe(false);
    } finally {
      await plain.close();
    }
  });
});

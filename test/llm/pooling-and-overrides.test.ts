/**
 * Issue 3 acceptance: one shared, bounded pool per transport configuration (SPEC §1.1), per-call
 * overrides that never touch the registry (SPEC §1.2), and the per-run concurrency budget.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunCancelledError } from "../../src/errors.js";
import { ConcurrencyBudget } from "../../src/llm/concurrency-budget.js";
import { startMockLlmServer, type MockLlmServer } from "../../src/mock-llm/index.js";
import { createRuntime } from "../../src/index.js";
import { askRequest, ctx, runtimeFor, untilRequests } from "../support/llm.js";

let mock: MockLlmServer;
beforeAll(async () => {
  mock = await startMockLlmServer();
});
afterAll(() => mock.close());

describe("pooling", () => {
  it("1,000 calls from 20 concurrent runs open no more connections than the pool limit", async () => {
    mock.reset();
    const llm = runtimeFor(mock, { maxConnections: 8 });
    try {
      const runs = Array.from({ length: 20 }, async (_, run) => {
        const budget = new ConcurrencyBudget(8);
        const texts: string[] = [];
        for (let i = 0; i < 50; i++) texts.push(await llm.ask(askRequest(`r${run}-${i}`), ctx(undefined, { budget })));
        return texts;
      });
      const results = await Promise.all(runs);
      expect(results.flat()).toHaveLength(1000);
      expect(results[7]![49]).toBe("mock reply from mock-model: r7-49");
      const stats = mock.stats();
      expect(stats.requests).toBe(1000);
      expect(stats.connectionsOpened).toBeLessThanOrEqual(8);
      expect(stats.peakInFlight).toBeLessThanOrEqual(8);
    } finally {
      await llm.close();
    }
  });

  it("cancelling run A while run B streams on the same provider leaves B unharmed", async () => {
    mock.reset();
    mock.setRules([{ match: { promptIncludes: "run-a" }, behavior: { stallAfterChunks: 1 } }, { match: { promptIncludes: "run-b" }, behavior: { chunkCount: 8, chunkDelayMs: 40 } }]);
    const llm = runtimeFor(mock, { maxConnections: 2 });
    try {
      const a = new AbortController();
      const aCall = llm.ask(askRequest("run-a"), ctx(a.signal)).catch((e: unknown) => e);
      const bCall = llm.ask(askRequest("run-b"), ctx());
      await untilRequests(mock, 2);
      await new Promise((r) => setTimeout(r, 60));
      a.abort(new RunCancelledError("A"));
      expect(await aCall).toMatchObject({ name: "RunCancelledError" });
      expect(await bCall).toBe("mock reply from mock-model: run-b");
      // B's connection survives A's cancel and is reused.
      expect(await llm.ask(askRequest("run-b again"), ctx())).toBe("mock reply from mock-model: run-b again");
    } finally {
      mock.setRules([]);
      await llm.close();
    }
  });
});

describe("per-call overrides", () => {
  it("concurrent calls with different api keys and base URLs each send their own key to their own URL; the registry entry is unchanged", async () => {
    const other = await startMockLlmServer();
    mock.reset();
    const llm = runtimeFor(mock);
    try {
      const before = { ...llm.registry.get("local")! };
      mock.setRules([{ behavior: { chunkDelayMs: 20 } }]);
      other.setRules([{ behavior: { chunkDelayMs: 20 } }]);
      const calls = Array.from({ length: 10 }, (_, i) =>
        llm.ask(askRequest(`call ${i}`, {}, i % 2 === 0 ? { apiKey: `key-${i}` } : { apiKey: `key-${i}`, baseUrl: other.url }), ctx()),
      );
      await Promise.all(calls);
      const seen = (server: MockLlmServer) =>
        server
          .requests()
          .map((r) => [(r.body as { messages: Array<{ content: string }> }).messages[0]!.content, r.authorization])
          .sort();
      expect(seen(mock)).toEqual([0, 2, 4, 6, 8].map((i) => [`call ${i}`, `Bearer key-${i}`]));
      expect(seen(other)).toEqual([1, 3, 5, 7, 9].map((i) => [`call ${i}`, `Bearer key-${i}`]));
      expect({ ...llm.registry.get("local")! }).toEqual(before);
      expect(llm.registry.get("local")!.apiKey).toBeUndefined();
      expect(Object.isFrozen(llm.registry.get("local"))).toBe(true);
    } finally {
      mock.setRules([]);
      await llm.close();
      await other.close();
    }
  });
});

describe("overrides that change nothing", () => {
  it("a trustEnv equal to the provider's own keeps the shared registry entry (and what is cached for it)", () => {
    const llm = runtimeFor(mock);
    const entry = llm.registry.get("local")!;
    expect(llm.registry.view("local", { trustEnv: entry.trustEnv })).toBe(entry);
    expect(llm.registry.view("local", { apiKey: entry.apiKey, baseUrl: `${entry.baseUrl}/`, trustEnv: entry.trustEnv })).toBe(entry);
    expect(llm.registry.view("local", { trustEnv: !entry.trustEnv })).not.toBe(entry);
    return llm.close();
  });
});

describe("per-run overrides", () => {
  it("two concurrent runs with their own key and base URL each reach their own server; the registry is unchanged", async () => {
    const other = await startMockLlmServer();
    mock.reset();
    const runtime = createRuntime({
      env: {},
      config: { provider: { local: { type: "openai-compatible", options: { baseURL: mock.url } } }, default_models: { llm: { provider_id: "local", model_id: "mock-model" } } },
    });
    try {
      const workflow = { start: "a", nodes: [{ id: "a", type: "llm", prompt: "hi {{ who }}" }, { id: "b", type: "javascript", code: "outputs.two = llm.ask('again ' + inputs.who)" }], edges: [{ from: "a", to: "b" }] };
      const [one, two] = await Promise.all([
        runtime.run(workflow, { inputs: { who: "one" }, llm: { apiKey: "key-one" } }),
        runtime.run(workflow, { inputs: { who: "two" }, llm: { apiKey: "key-two", baseUrl: other.url, model: "other-model" } }),
      ]);
      expect(one.history[0]!.outputs).toEqual({ result: "mock reply from mock-model: hi one" });
      expect(one.outputs).toEqual({ two: "mock reply from mock-model: again one" });
      expect(two.history[0]!.outputs).toEqual({ result: "mock reply from other-model: hi two" });
      expect(two.outputs).toEqual({ two: "mock reply from other-model: again two" });
      expect(mock.requests().map((r) => r.authorization)).toEqual(["Bearer key-one", "Bearer key-one"]);
      expect(other.requests().map((r) => r.authorization)).toEqual(["Bearer key-two", "Bearer key-two"]);
      expect(runtime.llm.registry.get("local")).toMatchObject({ apiKey: undefined, baseUrl: mock.url.replace(/\/+$/, "") });
    } finally {
      await runtime.close();
      await other.close();
    }
  });
});

describe("the per-run concurrency budget", () => {
  it("eight concurrent calls with a budget of 2: all answered, never more than 2 in flight at the server", async () => {
    mock.reset();
    mock.setRules([{ behavior: { chunkCount: 4, chunkDelayMs: 25 } }]);
    const llm = runtimeFor(mock);
    try {
      const budget = new ConcurrencyBudget(2);
      const texts = await Promise.all(Array.from({ length: 8 }, (_, i) => llm.ask(askRequest(`q${i}`), ctx(undefined, { budget }))));
      expect(texts).toEqual(Array.from({ length: 8 }, (_, i) => `mock reply from mock-model: q${i}`));
      expect(mock.stats().peakInFlight).toBe(2);
    } finally {
      mock.setRules([]);
      await llm.close();
    }
  });
});

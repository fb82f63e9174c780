/**
 * Runs over real HTTP (issue 5 acceptance): 202 with the run recorded; events over SSE in order,
 * a late subscriber getting the replay; the history lists the run; the finished record has every
 * step. Cancel during a stalled LLM call: 202, `cancelled` within 200 ms, and the upstream saw the
 * request closed. `wait: true` answers with the finished run, and a client that disconnects while
 * waiting cancels it.
 */
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMockLlmServer, type MockLlmServer } from "../../src/mock-llm/index.js";
import { AUTH, parseSse, readSse, startTestService, TOOLS_FIXTURE, until, WORKFLOWS, type TestService } from "./support/service.js";

let t: TestService;
let mock: MockLlmServer;

beforeAll(async () => {
  mock = await startMockLlmServer();
  t = await startTestService({
    workflows: { hello: WORKFLOWS.twoSteps, sleepy: WORKFLOWS.sleepy, chat: WORKFLOWS.llm },
    toolModules: [TOOLS_FIXTURE],
    config: {
      provider: { mock: { npm: "@ai-sdk/openai-compatible", options: { baseURL: mock.url } } },
      default_models: { llm: { provider_id: "mock", model_id: "mock-model" } },
    },
  });
});
afterAll(async () => {
  await t?.close();
  await mock?.close();
});

async function runStatus(runId: string): Promise<string> {
  return (await t.api("GET", `/api/runs/${runId}`)).body.status;
}

describe("run lifecycle", () => {
  it("202 with the run recorded; SSE live and replayed alike, in order; history; every step in the record", async () => {
    const started = await t.api("POST", "/api/workflows/hello/runs", { inputs: { name: "ada" } });
    expect(started.status).toBe(202);
    expect(started.body).toEqual({ runId: expect.stringMatching(/^[0-9a-f]{32}$/), status: "running" });
    const { runId } = started.body;
    // Recorded before the answer: readable at once.
    const early = await t.api("GET", `/api/runs/${runId}`);
    expect(early.status).toBe(200);
    expect(["running", "succeeded"]).toContain(early.body.status);

    const live = await readSse(`${t.url}/api/runs/${runId}/events`);
    expect(live.map((e) => e.event)).toEqual(["run.started", "node.started", "node.finished", "node.started", "node.finished", "run.finished"]);
    expect(live.map((e) => e.data.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(live.map((e) => Number(e.id))).toEqual([1, 2, 3, 4, 5, 6]);
    for (const e of live) expect(e.data.type).toBe(e.event);
    expect(live.filter((e) => e.event === "node.finished").map((e) => [e.data.nodeId, e.data.status])).toEqual([
      ["a", "succeeded"],
      ["b", "succeeded"],
    ]);
    expect(live.at(-1)!.data).toMatchObject({ status: "succeeded", steps: 2, error: null });

    // A late subscriber (the run is over) gets the same events from the store, then the stream ends.
    const replay = await readSse(`${t.url}/api/runs/${runId}/events`);
    expect(replay).toEqual(live);
    // Last-Event-ID resumes after that event.
    const resumed = await readSse(`${t.url}/api/runs/${runId}/events`, { ...AUTH, "last-event-id": "4" });
    expect(resumed.map((e) => e.data.seq)).toEqual([5, 6]);

    const record = await t.api("GET", `/api/runs/${runId}`);
    expect(record.body).toEqual({
      runId,
      workflowId: "hello",
      releaseId: null,
      status: "succeeded",
      trigger: { type: "api" },
      startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      finishedAt: expect.stringMatching(/Z$/),
      durationMs: expect.any(Number),
      inputs: { name: "ada" },
      outputs: { upper: "HI ADA" },
      error: null,
      steps: [
        { nodeId: "a", status: "succeeded", startedAt: expect.stringMatching(/Z$/), durationMs: expect.any(Number), outputs: { greeting: "hi ada" }, error: null, errorType: null, traceback: null, stdout: "" },
        { nodeId: "b", status: "succeeded", startedAt: expect.stringMatching(/Z$/), durationMs: expect.any(Number), outputs: { upper: "HI ADA" }, error: null, errorType: null, traceback: null, stdout: "upper done\n" },
      ],
    });

    const history = await t.api("GET", "/api/workflows/hello/runs?limit=5");
    expect(history.body.runs[0]).toMatchObject({ runId, status: "succeeded", stepCount: 2 });
  });

  it("a subscriber that joins mid-run gets the replay then the live events, none lost or repeated", async () => {
    const { body } = await t.api("POST", "/api/workflows/sleepy/runs", { inputs: { ms: 400 } });
    await until(async () => ((await t.api("GET", `/api/runs/${body.runId}`)).body.steps.length === 1 ? true : undefined), "first step");
    const events = await readSse(`${t.url}/api/runs/${body.runId}/events`);
    expect(events.map((e) => e.event)).toEqual(["run.started", "node.started", "node.finished", "node.started", "node.finished", "run.finished"]);
    expect(events.map((e) => e.data.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect((await t.api("GET", `/api/runs/${body.runId}`)).body.status).toBe("succeeded");
  });

  it("LLM token events stream live and replay alike; a subscriber joining mid-stream misses none", async () => {
    mock.reset();
    mock.setRules([{ behavior: { reply: "one two three four five six seven eight nine ten", chunkCount: 10, chunkDelayMs: 40 } }]);
    try {
      const { body } = await t.api("POST", "/api/workflows/chat/runs", { inputs: { topic: "bees" } });
      await until(async () => {
        const seen = (await fetch(`${t.url}/api/runs/${body.runId}`, { headers: AUTH }).then((r) => r.json())) as { status: string };
        return seen.status === "running" ? true : undefined;
      }, "the run");
      await new Promise((resolve) => setTimeout(resolve, 150));
      const joined = await readSse(`${t.url}/api/runs/${body.runId}/events`);
      const replay = await readSse(`${t.url}/api/runs/${body.runId}/events`);
      expect(joined.map((e) => e.data.seq)).toEqual(joined.map((_, i) => i + 1));
      expect(replay).toEqual(joined);
      const tokens = joined.filter((e) => e.event === "llm.token");
      expect(tokens.length).toBeGreaterThanOrEqual(5);
      expect(tokens.every((e) => e.data.nodeId === "ask")).toBe(true);
      expect(joined.at(-1)).toMatchObject({ event: "run.finished", data: { status: "succeeded" } });
    } finally {
      mock.setRules([]);
    }
  });

  it("history is newest first and honours limit", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await t.api("POST", "/api/workflows/hello/runs", { inputs: { name: `n${i}` }, wait: true })).body.runId);
    const history = await t.api("GET", "/api/workflows/hello/runs?limit=2");
    expect(history.body.runs.map((r: { runId: string }) => r.runId)).toEqual([ids[2], ids[1]]);
  });

  it("wait: true answers 200 with the finished run", async () => {
    const response = await t.api("POST", "/api/workflows/hello/runs", { inputs: { name: "bo" }, wait: true });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ workflowId: "hello", status: "succeeded", outputs: { upper: "HI BO" } });
    expect(response.body.steps).toHaveLength(2);
  });

  it("unknown runs are 404; cancelling a finished run is 409", async () => {
    expect((await t.api("GET", "/api/runs/nope")).status).toBe(404);
    expect((await t.api("GET", "/api/runs/nope/events")).status).toBe(404);
    expect((await t.api("POST", "/api/runs/nope/cancel")).status).toBe(404);
    const { body } = await t.api("POST", "/api/workflows/hello/runs", { inputs: { name: "x" }, wait: true });
    const again = await t.api("POST", `/api/runs/${body.runId}/cancel`);
    expect([again.status, again.body.status]).toEqual([409, "succeeded"]);
  });
});

describe("cancellation", () => {
  it("cancel during a stalled LLM call: 202, cancelled within 200 ms, the upstream request closed", async () => {
    mock.reset();
    mock.setRules([{ behavior: { stallAfterHeaders: true } }]);
    try {
      const { body } = await t.api("POST", "/api/workflows/chat/runs", { inputs: { topic: "owls" } });
      await until(() => (mock.stats().inFlight === 1 ? true : undefined), "the LLM request to stall");
      // Subscribe before cancelling: the stream must end with run.finished cancelled.
      const stream = readSse(`${t.url}/api/runs/${body.runId}/events`);
      const t0 = performance.now();
      const cancel = await t.api("POST", `/api/runs/${body.runId}/cancel`);
      expect(cancel).toMatchObject({ status: 202, body: { runId: body.runId, status: "cancelling" } });
      await until(async () => ((await runStatus(body.runId)) === "cancelled" ? true : undefined), "cancelled", 2000);
      const elapsed = performance.now() - t0;
      expect(elapsed).toBeLessThan(200);
      const record = (await t.api("GET", `/api/runs/${body.runId}`)).body;
      expect(record.steps.map((s: { nodeId: string; status: string }) => [s.nodeId, s.status])).toEqual([["ask", "cancelled"]]);
      expect(record.error).toMatch(/^RunCancelledError/);
      await until(() => (mock.stats().clientAborts.length === 1 ? true : undefined), "the mock to see the request closed", 1000);
      expect(mock.stats().inFlight).toBe(0);
      const events = await stream;
      expect(events.at(-1)).toMatchObject({ event: "run.finished", data: { status: "cancelled" } });
      expect(events.some((e) => e.event === "llm.request")).toBe(true);
    } finally {
      mock.setRules([]);
    }
  });

  it("wait: true with the client disconnecting cancels the run (its work stopped)", async () => {
    const url = new URL(`${t.url}/api/workflows/sleepy/runs`);
    const request = http.request(url, { method: "POST", headers: { ...AUTH, "content-type": "application/json" } });
    request.on("error", () => {});
    request.end(JSON.stringify({ inputs: { ms: 30_000 }, wait: true }));
    const runId = await until(async () => {
      const runs = (await t.api("GET", "/api/workflows/sleepy/runs?limit=1")).body.runs;
      return runs[0]?.status === "running" && runs[0].stepCount === 1 ? (runs[0].runId as string) : undefined;
    }, "the run to reach its sleeping node");
    request.destroy();
    await until(async () => ((await runStatus(runId)) === "cancelled" ? true : undefined), "cancelled after the disconnect", 3000);
    const record = (await t.api("GET", `/api/runs/${runId}`)).body;
    expect(record.steps.map((s: { nodeId: string; status: string }) => [s.nodeId, s.status])).toEqual([
      ["a", "succeeded"],
      ["nap", "cancelled"],
    ]);
  });

  it("the SSE parser ignores heartbeats", () => {
    expect(parseSse(': ping\n\nid: 1\nevent: run.started\ndata: {"type":"run.started"}\n\n')).toEqual([{ id: "1", event: "run.started", data: { type: "run.started" } }]);
  });
});

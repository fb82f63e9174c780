/** The server's counters and request log, and the /__mock control routes CLI users script it with. */
import { Agent, Pool, request } from "undici";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startMockLlmServer, type MockLlmServer } from "../../src/mock-llm/index.js";
import { LOG_LIMIT } from "../../src/mock-llm/request-tracker.js";
import { chatBody, postChat, waitFor } from "./support/mock-client.js";

let server: MockLlmServer;
beforeEach(async () => {
  server = await startMockLlmServer();
});
afterEach(async () => {
  await server.close();
});

const origin = () => new URL(server.url).origin;

describe("connections", () => {
  it("counts one connection for 5 sequential requests through a one-connection keep-alive pool", async () => {
    const pool = new Pool(origin(), { connections: 1 });
    try {
      for (let i = 0; i < 5; i++) {
        const res = await postChat(server, chatBody({ stream: i % 2 === 0 }), { dispatcher: pool });
        expect(res.statusCode).toBe(200);
        await res.body.text();
      }
      expect(server.stats()).toMatchObject({ requests: 5, connectionsOpened: 1, connectionsOpen: 1, inFlight: 0, peakInFlight: 1 });
    } finally {
      await pool.close();
    }
    await waitFor(() => server.stats().connectionsOpen === 0);
    expect(server.stats().connectionsOpened).toBe(1);
  });

  it("counts a connection per concurrent request, and peak in-flight 5 for 5 slow concurrent requests", async () => {
    const agent = new Agent();
    try {
      const behavior = { "x-mock-behavior": JSON.stringify({ chunkDelayMs: 40 }) };
      const calls = Array.from({ length: 5 }, () => postChat(server, chatBody({ stream: true }), { dispatcher: agent, headers: behavior }).then((res) => res.body.text()));
      await waitFor(() => server.stats().inFlight === 5);
      expect(server.stats().inFlight).toBe(5);
      await Promise.all(calls);
      expect(server.stats()).toMatchObject({ requests: 5, inFlight: 0, peakInFlight: 5, connectionsOpened: 5, connectionsOpen: 5 });
    } finally {
      await agent.close();
    }
  });
});

describe("the request log", () => {
  it("records each chat request with its model, stream flag, path, headers, body and times", async () => {
    const before = performance.now();
    await (await postChat(server, chatBody({ model: "m1", stream: true }), { headers: { authorization: "Bearer x", "x-trace": "t1" } })).body.text();
    await (await postChat(server, chatBody({ model: "m2" }))).body.text();
    const after = performance.now();
    const [first, second] = server.requests();
    expect(first).toMatchObject({ id: 1, model: "m1", stream: true, path: "/v1/chat/completions", authorization: "Bearer x", outcome: "completed", body: chatBody({ model: "m1", stream: true }) });
    expect(first!.headers).toMatchObject({ "x-trace": "t1", "content-type": "application/json" });
    expect(second).toMatchObject({ id: 2, model: "m2", stream: false, authorization: null, outcome: "completed" });
    for (const record of [first!, second!]) {
      expect(record.startedAtMs).toBeGreaterThanOrEqual(before);
      expect(record.finishedAtMs!).toBeGreaterThanOrEqual(record.startedAtMs);
      expect(record.finishedAtMs!).toBeLessThanOrEqual(after);
    }
    expect(server.stats().requestsByModel).toEqual({ m1: 1, m2: 1 });
  });

  it("records a client that leaves mid-body as an abort, with no model yet", async () => {
    const controller = new AbortController();
    async function* slowBody() {
      yield '{"model":"never-seen",';
      await new Promise((resolve) => controller.signal.addEventListener("abort", resolve, { once: true }));
    }
    const call = postChat(server, slowBody(), { signal: controller.signal }).catch((error: Error) => error.name);
    await waitFor(() => server.stats().inFlight === 1);
    controller.abort();
    expect(await call).toBe("AbortError");
    await waitFor(() => server.stats().clientAborts.length === 1);
    expect(server.stats()).toMatchObject({ requests: 1, requestsByModel: {}, inFlight: 0, clientAborts: [{ requestId: 1, model: "" }] });
    expect(server.requests()[0]).toMatchObject({ model: "", body: null, outcome: "client_aborted" });
  });

  it("answers 413 to a body over 16 MiB", async () => {
    const res = await postChat(server, "x".repeat(16 * 1024 * 1024 + 1));
    expect(res.statusCode).toBe(413);
    expect(await res.body.json()).toEqual({ error: { message: "mock-llm: request body larger than 16777216 bytes", type: "invalid_request_error", code: "request_too_large" } });
    expect(server.requests()[0]!.outcome).toBe("error_status");
  });

  it("hands out copies: changing one does not change the log", async () => {
    await (await postChat(server, chatBody())).body.text();
    server.requests()[0]!.model = "changed";
    server.stats().clientAborts.push({ requestId: 9, model: "x", atMs: 0 });
    expect(server.requests()[0]!.model).toBe("mock-model");
    expect(server.stats().clientAborts).toEqual([]);
  });

  it(`keeps the latest ${LOG_LIMIT} requests in the log while the counters count them all`, async () => {
    const total = LOG_LIMIT + 5;
    const pool = new Pool(origin(), { connections: 8 });
    try {
      for (let sent = 0; sent < total; sent += 8) {
        const batch = Array.from({ length: Math.min(8, total - sent) }, async () => {
          const res = await request(`${server.url}/chat/completions`, { method: "POST", body: JSON.stringify(chatBody()), headers: { "content-type": "application/json" }, dispatcher: pool });
          await res.body.text();
        });
        await Promise.all(batch);
      }
    } finally {
      await pool.close();
    }
    const log = server.requests();
    expect(server.stats().requests).toBe(total);
    expect(log).toHaveLength(LOG_LIMIT);
    expect(log.map((r) => r.id)).toEqual(Array.from({ length: LOG_LIMIT }, (_, i) => i + 6));
  });

  it("reset() clears counters, log and aborts but keeps request ids counting", async () => {
    const controller = new AbortController();
    const res = await postChat(server, chatBody({ stream: true }), { headers: { "x-mock-behavior": '{"stallAfterHeaders":true}' }, signal: controller.signal });
    controller.abort();
    await res.body.text().catch(() => undefined);
    await waitFor(() => server.stats().clientAborts.length === 1);
    server.reset();
    expect(server.stats()).toEqual({ requests: 0, requestsByModel: {}, connectionsOpened: 0, connectionsOpen: expect.any(Number), inFlight: 0, peakInFlight: 0, clientAborts: [] });
    expect(server.requests()).toEqual([]);
    await (await postChat(server, chatBody())).body.text();
    expect(server.requests().map((r) => r.id)).toEqual([2]);
  });
});

describe("control routes", () => {
  it("GET /__mock/stats answers the stats as JSON", async () => {
    await (await postChat(server, chatBody({ model: "m1" }))).body.text();
    const res = await request(`${origin()}/__mock/stats`);
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toEqual({ ...server.stats(), inFlight: 0, requests: 1, requestsByModel: { m1: 1 }, clientAborts: [] });
  });

  it("PUT /__mock/rules sets the rules; an invalid set is a 400 and changes nothing", async () => {
    const rules = [{ match: { model: "m1" }, behavior: { reply: "from PUT" } }];
    const put = await request(`${origin()}/__mock/rules`, { method: "PUT", body: JSON.stringify(rules) });
    expect(put.statusCode).toBe(200);
    expect(await put.body.json()).toEqual({ ok: true, rules: 1 });
    const bad = await request(`${origin()}/__mock/rules`, { method: "PUT", body: JSON.stringify([{ behavior: { chunkCount: "3" } }]) });
    expect(bad.statusCode).toBe(400);
    expect(await bad.body.json()).toMatchObject({ error: { message: "rules[0].behavior.chunkCount must be an integer >= 1" } });
    const reply = (await (await postChat(server, chatBody({ model: "m1" }))).body.json()) as { choices: [{ message: { content: string } }] };
    expect(reply.choices[0].message.content).toBe("from PUT");
  });

  it("POST /__mock/reset resets; GET /__mock/requests lists the log", async () => {
    await (await postChat(server, chatBody())).body.text();
    const log = await request(`${origin()}/__mock/requests`);
    expect(((await log.body.json()) as Array<{ id: number; model: string }>).map((r) => [r.id, r.model])).toEqual([[1, "mock-model"]]);
    const reset = await request(`${origin()}/__mock/reset`, { method: "POST" });
    expect(await reset.body.json()).toEqual({ ok: true });
    expect(server.stats().requests).toBe(0);
  });
});

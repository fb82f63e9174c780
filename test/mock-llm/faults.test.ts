/**
 * Each scripted fault, seen from a real client over loopback: what arrives on the wire, what the
 * client sees when the stream is cut, and what the server recorded.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startMockLlmServer, type MockBehavior, type MockLlmServer } from "../../src/mock-llm/index.js";
import { chatBody, chunksOf, contentOf, postChat, readUntilEnd, sseData, waitFor } from "./support/mock-client.js";

let server: MockLlmServer;
beforeEach(async () => {
  server = await startMockLlmServer();
});
afterEach(async () => {
  await server.close();
});

const STREAM = chatBody({ stream: true });
const scripted = (behavior: MockBehavior) => ({ headers: { "x-mock-behavior": JSON.stringify(behavior) } });

describe("delay before the first byte", () => {
  it("holds the status and headers back for firstByteDelayMs, then replies normally", async () => {
    const sentAt = performance.now();
    const res = await postChat(server, STREAM, scripted({ firstByteDelayMs: 300 }));
    const headersAfterMs = performance.now() - sentAt;
    expect(res.statusCode).toBe(200);
    expect(headersAfterMs).toBeGreaterThanOrEqual(295);
    expect(headersAfterMs).toBeLessThan(1_000);
    expect(contentOf(chunksOf(await res.body.text()))).toBe("mock reply from mock-model: hello");
  });
});

describe("stalls", () => {
  it("after headers: 200 and SSE headers, then nothing; a client abort after 200 ms is recorded within 100 ms", async () => {
    const controller = new AbortController();
    const res = await postChat(server, STREAM, { ...scripted({ stallAfterHeaders: true }), signal: controller.signal });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("text/event-stream");
    let abortedAt = Number.NaN;
    setTimeout(() => {
      abortedAt = performance.now();
      controller.abort();
    }, 200);
    const { text, error } = await readUntilEnd(res.body);
    expect(text).toBe("");
    expect((error as Error).name).toBe("AbortError");
    await waitFor(() => server.stats().clientAborts.length === 1);
    const [abort] = server.stats().clientAborts;
    expect(abort).toMatchObject({ requestId: 1, model: "mock-model" });
    expect(abort!.atMs - abortedAt).toBeGreaterThanOrEqual(0);
    expect(abort!.atMs - abortedAt).toBeLessThan(100);
    expect(server.requests()[0]).toMatchObject({ outcome: "client_aborted", finishedAtMs: abort!.atMs });
    expect(server.stats()).toMatchObject({ inFlight: 0, requests: 1 });
  });

  it("after N chunks: exactly N content chunks arrive, then nothing until the client gives up", async () => {
    const controller = new AbortController();
    const res = await postChat(server, STREAM, { ...scripted({ reply: "aabbccdd", stallAfterChunks: 2 }), signal: controller.signal });
    let text = "";
    let lastDataAt = 0;
    const reading = (async () => {
      for await (const chunk of res.body) {
        text += chunk.toString();
        lastDataAt = performance.now();
      }
    })().catch((error: unknown) => error);
    await waitFor(() => sseData(text).length === 2);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const abortedAt = performance.now();
    controller.abort();
    expect(((await reading) as Error).name).toBe("AbortError");
    expect(abortedAt - lastDataAt).toBeGreaterThanOrEqual(290);
    expect(contentOf(chunksOf(text))).toBe("aabb");
    await waitFor(() => server.stats().clientAborts.length === 1);
    expect(server.requests()[0]!.outcome).toBe("client_aborted");
  });

  it("not streaming, after headers: 200 application/json and no body", async () => {
    const controller = new AbortController();
    const res = await postChat(server, chatBody(), { ...scripted({ stallAfterHeaders: true }), signal: controller.signal });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("application/json");
    setTimeout(() => controller.abort(), 100);
    expect(await readUntilEnd(res.body)).toMatchObject({ text: "", error: expect.objectContaining({ name: "AbortError" }) });
    await waitFor(() => server.stats().clientAborts.length === 1);
  });
});

describe("error statuses", () => {
  it.each([
    [500, "server_error", null],
    [503, "server_error", null],
    [504, "server_error", null],
    [400, "invalid_request_error", null],
    [401, "invalid_request_error", "invalid_api_key"],
    [404, "invalid_request_error", "model_not_found"],
    [408, "timeout_error", "request_timeout"],
    [409, "conflict_error", null],
  ])("status %i: that status before any body, with an OpenAI-style error body", async (status, type, code) => {
    for (const body of [STREAM, chatBody()]) {
      const res = await postChat(server, body, scripted({ status }));
      expect(res.statusCode).toBe(status);
      expect(res.headers["content-type"]).toBe("application/json");
      expect(res.headers["retry-after"]).toBeUndefined();
      expect(await res.body.json()).toEqual({ error: { message: expect.stringMatching(new RegExp(`^mock-llm: ${status} `)), type, code } });
    }
    expect(server.requests().map((r) => r.outcome)).toEqual(["error_status", "error_status"]);
  });

  it("429 with retryAfterS sends Retry-After", async () => {
    const res = await postChat(server, STREAM, scripted({ status: 429, retryAfterS: 3 }));
    expect(res.statusCode).toBe(429);
    expect(res.headers["retry-after"]).toBe("3");
    expect(await res.body.json()).toEqual({ error: { message: "mock-llm: 429 Too Many Requests", type: "rate_limit_error", code: "rate_limit_exceeded" } });
  });
});

describe("a stream cut short", () => {
  it("destroyAfterChunks: N chunks, then the socket is destroyed and the client sees a socket error", async () => {
    const res = await postChat(server, STREAM, scripted({ reply: "aabbccdd", destroyAfterChunks: 2 }));
    expect(res.statusCode).toBe(200);
    const { text, error } = await readUntilEnd(res.body);
    expect(contentOf(chunksOf(text))).toBe("aabb");
    expect(error).toMatchObject({ name: "SocketError", code: "UND_ERR_SOCKET" });
    await waitFor(() => server.stats().inFlight === 0);
    expect(server.requests()[0]!.outcome).toBe("destroyed");
    expect(server.stats().clientAborts).toEqual([]);
  });

  it("destroyAfterChunks 0: the headers arrive, then the socket goes", async () => {
    const res = await postChat(server, STREAM, scripted({ destroyAfterChunks: 0 }));
    expect(res.statusCode).toBe(200);
    const { text, error } = await readUntilEnd(res.body);
    expect(text).toBe("");
    expect(error).toMatchObject({ code: "UND_ERR_SOCKET" });
  });

  it("not streaming: half of the JSON, then the socket is destroyed", async () => {
    const res = await postChat(server, chatBody(), scripted({ destroyAfterChunks: 1 }));
    const { text, error } = await readUntilEnd(res.body);
    expect(text).toMatch(/^\{"id":"chatcmpl-mock-1"/);
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
    expect(error).toMatchObject({ code: "UND_ERR_SOCKET" });
  });
});

describe("a broken stream that ends normally", () => {
  it("malformedAfterChunks: N chunks, then `data: {not json`, and the response ends without [DONE]", async () => {
    const res = await postChat(server, STREAM, scripted({ reply: "aabbccdd", malformedAfterChunks: 3 }));
    const text = await res.body.text();
    const data = sseData(text);
    expect(data).toHaveLength(4);
    expect(data.slice(0, 3).map((d) => (JSON.parse(d) as { choices: [{ delta: { content: string } }] }).choices[0].delta.content)).toEqual(["aa", "bb", "cc"]);
    expect(data[3]).toBe("{not json");
    expect(server.requests()[0]!.outcome).toBe("completed");
  });

  it("errorEventAfterChunks: N chunks, then an error event, and the response ends without [DONE]", async () => {
    const res = await postChat(server, STREAM, scripted({ errorEventAfterChunks: 1 }));
    const data = sseData(await res.body.text());
    expect(data).toHaveLength(2);
    expect(JSON.parse(data[1]!)).toEqual({ error: { message: "upstream overloaded", type: "server_error" } });
  });

  it("faults never go past the last content chunk: errorEventAfterChunks 99 still comes before the stop chunk", async () => {
    const data = sseData(await (await postChat(server, STREAM, scripted({ reply: "ab", errorEventAfterChunks: 99 }))).body.text());
    expect(data).toHaveLength(3);
    expect(JSON.parse(data[2]!)).toHaveProperty("error");
  });

  it("the fault with the fewest chunks wins", async () => {
    const data = sseData(await (await postChat(server, STREAM, scripted({ errorEventAfterChunks: 3, malformedAfterChunks: 1 }))).body.text());
    expect(data).toEqual([expect.any(String), "{not json"]);
  });

  it("not streaming: malformed is a 200 with a body that is not JSON; error event a 200 with an error body", async () => {
    const malformed = await postChat(server, chatBody(), scripted({ malformedAfterChunks: 0 }));
    expect(malformed.statusCode).toBe(200);
    expect(await malformed.body.text()).toBe("{not json");
    const errorBody = await postChat(server, chatBody(), scripted({ errorEventAfterChunks: 0 }));
    expect(await errorBody.body.json()).toEqual({ error: { message: "upstream overloaded", type: "server_error" } });
  });
});

describe("empty choices", () => {
  it("streaming: one chunk with choices [] then [DONE]", async () => {
    const data = sseData(await (await postChat(server, chatBody({ stream: true, stream_options: { include_usage: true } }), scripted({ emptyChoices: true }))).body.text());
    expect(data).toHaveLength(2);
    expect(JSON.parse(data[0]!)).toMatchObject({ object: "chat.completion.chunk", choices: [] });
    expect(data[1]).toBe("[DONE]");
  });

  it("not streaming: choices []", async () => {
    expect(await (await postChat(server, chatBody(), scripted({ emptyChoices: true }))).body.json()).toMatchObject({ object: "chat.completion", choices: [] });
  });
});

describe("failFirst", () => {
  it("failFirst 2: the first two requests fail, the third gets the normal reply; 3 requests counted", async () => {
    server.setRules([{ behavior: { status: 503, failFirst: 2, reply: "recovered" } }]);
    const statuses: number[] = [];
    let lastBody: unknown;
    for (let i = 0; i < 3; i++) {
      const res = await postChat(server, STREAM);
      statuses.push(res.statusCode);
      lastBody = await res.body.text();
    }
    expect(statuses).toEqual([503, 503, 200]);
    expect(contentOf(chunksOf(lastBody as string))).toBe("recovered");
    expect(server.stats()).toMatchObject({ requests: 3, requestsByModel: { "mock-model": 3 } });
  });

  it("covers stream faults too: the first request is cut, the second completes", async () => {
    const behavior = scripted({ destroyAfterChunks: 1, failFirst: 1 });
    expect((await readUntilEnd((await postChat(server, STREAM, behavior)).body)).error).toMatchObject({ code: "UND_ERR_SOCKET" });
    expect(contentOf(chunksOf(await (await postChat(server, STREAM, behavior)).body.text()))).toBe("mock reply from mock-model: hello");
    await waitFor(() => server.stats().inFlight === 0);
    expect(server.requests().map((r) => r.outcome)).toEqual(["destroyed", "completed"]);
  });
});

describe("chunk pacing", () => {
  it("chunkDelayMs spaces the chunks out", async () => {
    const sentAt = performance.now();
    const text = await (await postChat(server, STREAM, scripted({ chunkDelayMs: 50 }))).body.text();
    const elapsedMs = performance.now() - sentAt;
    expect(chunksOf(text)).toHaveLength(5);
    // Three gaps between four chunks.
    expect(elapsedMs).toBeGreaterThanOrEqual(145);
    expect(elapsedMs).toBeLessThan(1_000);
  });
});

/** The mock's normal answers: the OpenAI Chat Completions shapes, streamed and not, deterministic. */
import { request } from "undici";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startMockLlmServer, type MockLlmServer } from "../../src/mock-llm/index.js";
import { chatBody, chunksOf, contentOf, postChat, sseData } from "./support/mock-client.js";

let server: MockLlmServer;
beforeEach(async () => {
  server = await startMockLlmServer();
});
afterEach(async () => {
  await server.close();
});

describe("streaming replies", () => {
  it("streams the default reply in 4 content chunks, a stop chunk, a usage chunk and [DONE]", async () => {
    const res = await postChat(server, chatBody({ stream: true, stream_options: { include_usage: true } }));
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("text/event-stream");
    const text = await res.body.text();
    const data = sseData(text);
    expect(data.at(-1)).toBe("[DONE]");
    const chunks = chunksOf(text);
    expect(chunks).toHaveLength(6);
    expect(contentOf(chunks)).toBe("mock reply from mock-model: hello");
    expect(chunks.slice(0, 4).map((c) => c.choices[0]!.delta.content!.length)).toEqual([8, 8, 8, 9]);
    expect(chunks[0]).toMatchObject({ id: "chatcmpl-mock-1", object: "chat.completion.chunk", model: "mock-model", choices: [{ index: 0, delta: { role: "assistant" }, finish_reason: null }] });
    expect(chunks[4]!.choices).toEqual([{ index: 0, delta: {}, finish_reason: "stop" }]);
    // "be brief" + "hello" = 13 characters ≈ 4 tokens; the reply's 33 ≈ 9.
    expect(chunks[5]).toMatchObject({ choices: [], usage: { prompt_tokens: 4, completion_tokens: 9, total_tokens: 13 } });
  });

  it("sends no usage chunk unless stream_options.include_usage is set", async () => {
    const text = await (await postChat(server, chatBody({ stream: true }))).body.text();
    const chunks = chunksOf(text);
    expect(chunks).toHaveLength(5);
    expect(chunks.every((c) => c.usage === undefined)).toBe(true);
    expect(sseData(text).at(-1)).toBe("[DONE]");
  });

  it("streams reasoning first as reasoning_content, then the scripted reply in chunkCount chunks", async () => {
    const behavior = { reasoning: "think", reply: "abcdef", chunkCount: 3, usage: { prompt_tokens: 7, completion_tokens: 2 } };
    const res = await postChat(server, chatBody({ stream: true, stream_options: { include_usage: true } }), { headers: { "x-mock-behavior": JSON.stringify(behavior) } });
    const chunks = chunksOf(await res.body.text());
    expect(chunks.slice(0, 6).map((c) => c.choices[0]!.delta)).toEqual([
      { role: "assistant", reasoning_content: "t" },
      { reasoning_content: "hi" },
      { reasoning_content: "nk" },
      { content: "ab" },
      { content: "cd" },
      { content: "ef" },
    ]);
    expect(contentOf(chunks, "reasoning_content")).toBe("think");
    expect(chunks.at(-1)!.usage).toEqual({ prompt_tokens: 7, completion_tokens: 2, total_tokens: 9 });
  });

  it("uses fewer chunks than chunkCount for a short reply, and reads the last user message from content parts", async () => {
    const body = chatBody({ stream: true, messages: [{ role: "user", content: "first" }, { role: "assistant", content: "x" }, { role: "user", content: [{ type: "text", text: "se" }, { type: "text", text: "cond" }] }] });
    const res = await postChat(server, body, { headers: { "x-mock-behavior": JSON.stringify({ reply: "ok" }) } });
    const chunks = chunksOf(await res.body.text());
    expect(chunks.map((c) => c.choices[0]!.delta.content ?? null)).toEqual(["o", "k", null]);
    const plain = await (await postChat(server, { ...body, stream: false })).body.json();
    expect(plain).toMatchObject({ choices: [{ message: { content: "mock reply from mock-model: second" } }] });
  });
});

describe("non-streaming replies", () => {
  it("answers one chat.completion JSON with the content, finish_reason and usage", async () => {
    const res = await postChat(server, chatBody({ model: "other-model" }));
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("application/json");
    const body = await res.body.json();
    expect(body).toEqual({
      id: "chatcmpl-mock-1",
      object: "chat.completion",
      created: expect.any(Number),
      model: "other-model",
      choices: [{ index: 0, message: { role: "assistant", content: "mock reply from other-model: hello" }, finish_reason: "stop" }],
      usage: { prompt_tokens: 4, completion_tokens: 9, total_tokens: 13 },
    });
  });

  it("puts reasoning in message.reasoning_content", async () => {
    const res = await postChat(server, chatBody(), { headers: { "x-mock-behavior": JSON.stringify({ reasoning: "hmm", reply: "42" }) } });
    expect(await res.body.json()).toMatchObject({ choices: [{ message: { role: "assistant", content: "42", reasoning_content: "hmm" } }] });
  });

  it("gives the same content for the same request every time", async () => {
    const contents = [];
    for (let i = 0; i < 3; i++) contents.push(((await (await postChat(server, chatBody())).body.json()) as { choices: [{ message: { content: string } }] }).choices[0].message.content);
    expect(new Set(contents)).toEqual(new Set(["mock reply from mock-model: hello"]));
  });
});

describe("other routes", () => {
  it("GET /v1/models lists the default model", async () => {
    const res = await request(`${server.url}/models`);
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toEqual({ object: "list", data: [{ id: "mock-model", object: "model", owned_by: "flockflow-mock" }] });
  });

  it("GET /v1/models lists the configured models", async () => {
    const custom = await startMockLlmServer({ models: ["a", "b"] });
    try {
      const body = (await (await request(`${custom.url}/models`)).body.json()) as { data: Array<{ id: string }> };
      expect(body.data.map((m) => m.id)).toEqual(["a", "b"]);
    } finally {
      await custom.close();
    }
  });

  it("answers 404 JSON for an unknown path and 405 for a wrong method", async () => {
    const missing = await request(`${server.url}/embeddings`, { method: "POST", body: "{}" });
    expect(missing.statusCode).toBe(404);
    expect(await missing.body.json()).toEqual({ error: { message: "mock-llm: no route for POST /v1/embeddings", type: "invalid_request_error", code: null } });
    const wrong = await request(`${server.url}/chat/completions`);
    expect(wrong.statusCode).toBe(405);
    expect(wrong.headers.allow).toBe("POST");
    await wrong.body.dump();
  });

  it("answers 400 for a body that is not JSON, or not a chat request, and records it", async () => {
    const notJson = await postChat(server, "{oops");
    expect(notJson.statusCode).toBe(400);
    expect(((await notJson.body.json()) as { error: { message: string; type: string } }).error).toMatchObject({ type: "invalid_request_error", message: expect.stringMatching(/^mock-llm: the body is not valid JSON/) });
    const noModel = await postChat(server, { messages: [] });
    expect(noModel.statusCode).toBe(400);
    expect(((await noModel.body.json()) as { error: { message: string } }).error.message).toBe("you must provide a model parameter");
    expect(server.requests().map((r) => [r.outcome, r.body])).toEqual([
      ["error_status", null],
      ["error_status", { messages: [] }],
    ]);
    expect(server.stats()).toMatchObject({ requests: 2, requestsByModel: {}, inFlight: 0 });
  });
});

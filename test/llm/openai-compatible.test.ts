/**
 * The openai-compatible provider over real loopback HTTP: against the mock-llm, and against a
 * scripted node:http upstream for shapes the mock cannot produce (a stream without [DONE], a stream
 * cut without a finish, a null message). Answer text, reasoning and usage are read from
 * `sendAttempt` (one attempt on a real dispatcher); end-to-end behaviour through `LlmRuntime.ask`.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Agent } from "undici";
import { LlmRuntime } from "../../src/llm/llm-runtime.js";
import { readLlmConfig } from "../../src/llm/llm-config.js";
import type { LlmEvent } from "../../src/llm/ask.js";
import { openAiCompatible } from "../../src/llm/providers/openai-compatible.js";
import type { ChatRequest } from "../../src/llm/providers/provider-adapter.js";
import type { ProviderView } from "../../src/llm/registry.js";
import { AttemptDeadlines } from "../../src/llm/transport/attempt-deadlines.js";
import { Utf8Chunks, sendAttempt } from "../../src/llm/transport/send-attempt.js";
import { startMockLlmServer, type MockLlmServer } from "../../src/mock-llm/index.js";
import { askRequest, ctx } from "../support/llm.js";
import { openAiChunk, sendJson, sseEvent, startScriptedUpstream, startSse, type ScriptedUpstream } from "../support/scripted-upstream.js";

let mock: MockLlmServer;
let upstream: ScriptedUpstream;
const agent = new Agent({ connections: 4 });

beforeAll(async () => {
  mock = await startMockLlmServer();
  upstream = await startScriptedUpstream();
});
afterEach(() => {
  mock.setRules([]);
  mock.reset();
  upstream.requests.length = 0;
});
afterAll(async () => {
  await agent.close();
  await mock.close();
  await upstream.close();
});

function providerAt(baseURL: string, options: Record<string, unknown> = {}): ProviderView {
  return readLlmConfig({ provider: { up: { type: "openai-compatible", options: { baseURL, ...options } } } }, {}).providers.get("up")!;
}

async function attempt(provider: ProviderView, chat: Partial<ChatRequest> = {}, onToken?: (text: string) => void) {
  const deadlines = new AttemptDeadlines({ totalMs: 3000, ttftMs: 0, idleMs: 0 }, new AbortController().signal);
  try {
    return await sendAttempt({ dispatcher: agent, provider, adapter: openAiCompatible, chat: { model: "m", prompt: "hello", temperature: 0.2, stream: true, ...chat }, deadlines, onToken });
  } finally {
    deadlines.dispose();
  }
}

function runtimeAt(baseURL: string, options: Record<string, unknown> = {}): LlmRuntime {
  return new LlmRuntime({
    env: {},
    config: { provider: { up: { type: "openai-compatible", options: { baseURL, ...options } } }, default_models: { llm: { provider_id: "up", model_id: "m" } } },
  });
}

describe("streamed answers from the mock-llm", () => {
  it("reasoning_content deltas are kept out of the answer and out of the token events", async () => {
    mock.setRules([{ behavior: { reasoning: "first I think, then I answer", reply: "The answer is 4.", chunkCount: 3 } }]);
    const tokens: string[] = [];
    const result = await attempt(providerAt(mock.url), {}, (t) => tokens.push(t));
    expect(result.text).toBe("The answer is 4.");
    expect(result.reasoning).toBe("first I think, then I answer");
    expect(tokens.join("")).toBe("The answer is 4.");
  });

  it("inline <think> blocks split across chunks are stripped from the answer and kept as reasoning", async () => {
    mock.setRules([{ behavior: { reply: "<think>plan: be brief</think>Brief answer.", chunkCount: 9 } }]);
    const tokens: string[] = [];
    const result = await attempt(providerAt(mock.url), {}, (t) => tokens.push(t));
    expect(result.text).toBe("Brief answer.");
    expect(result.reasoning).toBe("plan: be brief");
    expect(tokens.join("")).toBe("Brief answer.");
    expect(tokens.some((t) => t.includes("think") || t.includes("plan"))).toBe(false);
  });

  it("the usage chunk after the finish is accepted and read", async () => {
    mock.setRules([{ behavior: { reply: "ok", usage: { prompt_tokens: 11, completion_tokens: 7 } } }]);
    const result = await attempt(providerAt(mock.url));
    expect(result).toEqual({ text: "ok", reasoning: "", finishReason: "stop", usage: { promptTokens: 11, completionTokens: 7 } });
  });

  it("through ask: the answer only, one request, and token events carry only answer text", async () => {
    mock.setRules([{ behavior: { reasoning: "hidden", reply: "<think>also hidden</think>Visible." } }]);
    const llm = runtimeAt(mock.url);
    try {
      const events: LlmEvent[] = [];
      const text = await llm.ask(askRequest("q"), ctx(undefined, { onEvent: (e) => events.push(e) }));
      expect(text).toBe("Visible.");
      const tokens = events.filter((e): e is Extract<LlmEvent, { type: "llm.token" }> => e.type === "llm.token").map((e) => e.text);
      expect(tokens.join("")).toBe("Visible.");
      expect(events[0]).toEqual({ type: "llm.request", provider: "up", model: "m", attempt: 1 });
      expect(mock.stats().requests).toBe(1);
    } finally {
      await llm.close();
    }
  });
});

describe("UTF-8 across chunk boundaries (Utf8Chunks)", () => {
  const text = "a攻击é😀\nb";
  const bytes = Buffer.from(text);
  const decodeAll = (chunks: Buffer[]) => {
    const decoder = new Utf8Chunks();
    return chunks.map((c) => decoder.decode(c)).join("");
  };

  it("a character split at any byte, in two or three chunks, decodes whole", () => {
    for (let i = 0; i <= bytes.length; i++) {
      expect(decodeAll([bytes.subarray(0, i), bytes.subarray(i)])).toBe(text);
      for (let j = i; j <= bytes.length; j++) {
        expect(decodeAll([bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)])).toBe(text);
      }
    }
  });

  it("a byte-order mark is dropped at the start of the stream only, as by a streaming TextDecoder", () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const reference = (chunks: Buffer[]) => {
      const decoder = new TextDecoder();
      return chunks.map((c) => decoder.decode(c, { stream: true })).join("");
    };
    const cases = [
      [Buffer.concat([bom, Buffer.from("data: x\n")])],
      [Buffer.from("data: x\n"), Buffer.concat([bom, Buffer.from("y\n")])],
      [Buffer.from("data: \xe6", "latin1"), Buffer.concat([Buffer.from([0x94, 0xbb]), bom, Buffer.from("\n")])],
      [Buffer.from([0xe6, 0x94]), Buffer.from([0xbb, 0x0a]), Buffer.concat([bom, Buffer.from("\n")])],
      [Buffer.from("x\n"), Buffer.concat([bom, Buffer.from([0xe6, 0x94])]), Buffer.from([0xbb, 0x0a])],
      [Buffer.alloc(0), Buffer.concat([bom, Buffer.from("x\n")])],
      [Buffer.from([0xef, 0xbb]), Buffer.from([0xbf, 0x61, 0x0a])],
    ];
    for (const chunks of cases) expect(decodeAll(chunks)).toBe(reference(chunks));
  });

  it("a streamed answer whose character is split between two writes arrives whole", async () => {
    upstream.handle(async (_req, res) => {
      startSse(res);
      const event = Buffer.from(openAiChunk({ role: "assistant", content: "攻击成功" }));
      const cut = event.indexOf(Buffer.from("击")) + 1;
      res.write(event.subarray(0, cut));
      await new Promise((r) => setTimeout(r, 20));
      res.write(event.subarray(cut));
      res.end(openAiChunk({}, "stop") + sseEvent("[DONE]"));
    });
    expect(await attempt(providerAt(`${upstream.origin}/v1`))).toMatchObject({ text: "攻击成功", finishReason: "stop" });
  });
});

describe("stream shapes from a scripted upstream", () => {
  it("a stream that ends after the finish_reason chunk without [DONE] is a complete answer", async () => {
    upstream.handle((_req, res) => {
      startSse(res);
      res.end(openAiChunk({ role: "assistant", content: "Hel" }) + openAiChunk({ content: "lo" }) + openAiChunk({}, "stop"));
    });
    const result = await attempt(providerAt(`${upstream.origin}/v1`));
    expect(result).toMatchObject({ text: "Hello", finishReason: "stop", usage: null });
  });

  it("usage inside the finish chunk is read too", async () => {
    upstream.handle((_req, res) => {
      startSse(res);
      res.end(openAiChunk({ content: "x" }) + openAiChunk({}, "length", { usage: { prompt_tokens: 3, completion_tokens: 1 } }) + sseEvent("[DONE]"));
    });
    expect(await attempt(providerAt(`${upstream.origin}/v1`))).toEqual({ text: "x", reasoning: "", finishReason: "length", usage: { promptTokens: 3, completionTokens: 1 } });
  });

  it("a `reasoning` delta field (OpenRouter's name) is reasoning too", async () => {
    upstream.handle((_req, res) => {
      startSse(res);
      res.end(openAiChunk({ reasoning: "mull" }) + openAiChunk({ content: "done" }) + openAiChunk({}, "stop") + sseEvent("[DONE]"));
    });
    expect(await attempt(providerAt(`${upstream.origin}/v1`))).toMatchObject({ text: "done", reasoning: "mull" });
  });

  it("a stream that ends with neither a finish_reason nor [DONE] fails: FF_LLM_STREAM, retryable", async () => {
    upstream.handle((_req, res) => {
      startSse(res);
      res.end(openAiChunk({ content: "half an ans" }));
    });
    await expect(attempt(providerAt(`${upstream.origin}/v1`))).rejects.toMatchObject({
      name: "LlmCallError",
      code: "FF_LLM_STREAM",
      isRetryable: true,
      message: "the stream ended before the answer was complete",
    });
  });

  it("through ask, the incomplete stream is retried and no partial text reaches the caller", async () => {
    let n = 0;
    upstream.handle((_req, res) => {
      startSse(res);
      if (n++ === 0) res.end(openAiChunk({ content: "partial " }));
      else res.end(openAiChunk({ content: "whole" }) + openAiChunk({}, "stop") + sseEvent("[DONE]"));
    });
    const llm = runtimeAt(`${upstream.origin}/v1`);
    try {
      const events: LlmEvent[] = [];
      expect(await llm.ask(askRequest("q", { maxRetries: 1, retryDelayMs: 0 }), ctx(undefined, { onEvent: (e) => events.push(e) }))).toBe("whole");
      expect(upstream.requests).toHaveLength(2);
      expect(events.find((e) => e.type === "llm.retry")).toMatchObject({ reason: "stream error", error: "the stream ended before the answer was complete" });
    } finally {
      await llm.close();
    }
  });

  it("an error event mid-stream names the upstream's message", async () => {
    upstream.handle((_req, res) => {
      startSse(res);
      res.end(openAiChunk({ content: "a" }) + sseEvent({ error: { message: "context length exceeded", type: "invalid_request_error" } }));
    });
    await expect(attempt(providerAt(`${upstream.origin}/v1`))).rejects.toMatchObject({ code: "FF_LLM_STREAM", message: "the stream reported an error: context length exceeded" });
  });
});

describe("non-streamed answers", () => {
  it("stream: false reads message.content, strips <think> and keeps reasoning_content apart", async () => {
    upstream.handle((_req, res) =>
      sendJson(res, 200, {
        choices: [{ index: 0, message: { role: "assistant", content: "<think>inline</think>Answer", reasoning_content: "field " }, finish_reason: "stop" }],
        usage: { prompt_tokens: 2, completion_tokens: 3 },
      }),
    );
    expect(await attempt(providerAt(`${upstream.origin}/v1`), { stream: false })).toEqual({
      text: "Answer",
      reasoning: "field inline",
      finishReason: "stop",
      usage: { promptTokens: 2, completionTokens: 3 },
    });
  });

  it("a null message is a clear, non-retryable error", async () => {
    upstream.handle((_req, res) => sendJson(res, 200, { choices: [{ index: 0, message: null, finish_reason: "stop" }] }));
    await expect(attempt(providerAt(`${upstream.origin}/v1`), { stream: false })).rejects.toMatchObject({
      name: "LlmCallError",
      code: "FF_LLM_RESPONSE",
      isRetryable: false,
      message: "the provider returned a choice with a null message",
    });
    const llm = runtimeAt(`${upstream.origin}/v1`, { stream: false });
    try {
      upstream.requests.length = 0;
      const error = (await llm.ask(askRequest("q", { maxRetries: 2 }), ctx()).catch((e: unknown) => e)) as Error;
      expect(error.message).toBe("The LLM model is unavailable. Details: up/m: the provider returned a choice with a null message");
      expect(upstream.requests).toHaveLength(1);
    } finally {
      await llm.close();
    }
  });

  it("empty choices and a body that is not JSON are reported", async () => {
    upstream.handle((_req, res) => sendJson(res, 200, { choices: [] }));
    await expect(attempt(providerAt(`${upstream.origin}/v1`), { stream: false })).rejects.toMatchObject({ code: "FF_LLM_RESPONSE", message: "the provider returned empty choices" });
    upstream.handle((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end("<html>gateway</html>");
    });
    await expect(attempt(providerAt(`${upstream.origin}/v1`), { stream: false })).rejects.toMatchObject({ code: "FF_LLM_RESPONSE", isRetryable: true, message: "the answer is not JSON (<html>gateway</html>)" });
  });
});

describe("the request", () => {
  it("streaming: POST {baseURL}/chat/completions with model, messages, temperature, stream and stream_options.include_usage", async () => {
    await attempt(providerAt(mock.url), { model: "mock-model", prompt: "hi there", temperature: 0.7 });
    const [record] = mock.requests();
    expect(record!.path).toBe("/v1/chat/completions");
    expect(record!.body).toEqual({ model: "mock-model", messages: [{ role: "user", content: "hi there" }], temperature: 0.7, stream: true, stream_options: { include_usage: true } });
    expect(record!.headers["content-type"]).toBe("application/json");
    expect(record!.headers.accept).toBe("text/event-stream");
  });

  it("not streaming: no stream_options, stream false, accept JSON", async () => {
    await attempt(providerAt(mock.url), { model: "mock-model", stream: false });
    const [record] = mock.requests();
    expect(record!.body).toEqual({ model: "mock-model", messages: [{ role: "user", content: "hello" }], temperature: 0.2, stream: false });
    expect(record!.headers.accept).toBe("application/json");
  });

  it("Authorization: Bearer <key> only when the provider has an api key", async () => {
    await attempt(providerAt(mock.url));
    await attempt(providerAt(mock.url, { apiKey: "sk-abc" }));
    expect(mock.requests().map((r) => r.authorization)).toEqual([null, "Bearer sk-abc"]);
  });

  it("custom headers are sent on every request", async () => {
    await attempt(providerAt(mock.url, { headers: { "x-team": "blue", "HTTP-Referer": "https://flockflow.dev" } }));
    const [record] = mock.requests();
    expect(record!.headers["x-team"]).toBe("blue");
    expect(record!.headers["http-referer"]).toBe("https://flockflow.dev");
  });

  // BUG (src/llm/providers/openai-compatible.ts buildRequest, `Object.assign(headers, provider.headers)`;
  // the same in anthropic.ts): built-in header names are lower-case, so a configured header in
  // another case ("Authorization", "Content-Type") is added next to ours instead of replacing it. The
  // request then carries two Authorization headers and servers read the first, ours. Lower-case the
  // configured names when merging them.
  it("BUG: a configured 'Authorization' header replaces the Bearer key instead of being sent beside it", async () => {
    upstream.handle((_req, res) => {
      startSse(res);
      res.end(openAiChunk({ content: "x" }, "stop"));
    });
    await attempt(providerAt(`${upstream.origin}/v1`, { apiKey: "sk-abc", headers: { Authorization: "Token gateway" } }));
    const raw = upstream.requests[0]!.rawHeaders;
    const authorization = raw.filter((_v, i) => i % 2 === 1 && raw[i - 1]!.toLowerCase() === "authorization");
    expect(authorization).toEqual(["Token gateway"]);
  });

  it("the prompt suffix from the settings is appended; temperature comes from the settings", async () => {
    const llm = runtimeAt(mock.url);
    try {
      await llm.ask(askRequest("Summarise", { promptSuffix: " in one line", temperature: 0 }), ctx());
      expect(mock.requests()[0]!.body).toMatchObject({ messages: [{ role: "user", content: "Summarise in one line" }], temperature: 0 });
    } finally {
      await llm.close();
    }
  });
});

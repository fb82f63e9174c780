/**
 * The anthropic provider (Messages API) against a real node:http upstream speaking Anthropic's SSE
 * (message_start, content_block_start, content_block_delta text_delta / thinking_delta,
 * message_delta with stop_reason and usage, message_stop) and its non-streamed JSON, driven through
 * `LlmRuntime.ask` with the provider configured as a user would.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Agent } from "undici";
import type { LlmEvent } from "../../src/llm/ask.js";
import { readLlmConfig } from "../../src/llm/llm-config.js";
import { LlmRuntime } from "../../src/llm/llm-runtime.js";
import { anthropic } from "../../src/llm/providers/anthropic.js";
import { AttemptDeadlines } from "../../src/llm/transport/attempt-deadlines.js";
import { sendAttempt } from "../../src/llm/transport/send-attempt.js";
import { anthropicErrorEvent, anthropicEvents, sendAnthropicError, sendAnthropicJson, sendAnthropicStream } from "../support/anthropic-upstream.js";
import { askRequest, ctx } from "../support/llm.js";
import { startScriptedUpstream, startSse, type ScriptedUpstream } from "../support/scripted-upstream.js";

let upstream: ScriptedUpstream;
let llm: LlmRuntime;

function claudeRuntime(options: Record<string, unknown> = {}): LlmRuntime {
  return new LlmRuntime({
    config: {
      provider: { claude: { type: "anthropic", options: { baseURL: `${upstream.origin}/v1`, apiKey: "k", ...options } } },
      default_models: { llm: { provider_id: "claude", model_id: "claude-x" } },
    },
    env: {},
  });
}

beforeAll(async () => {
  upstream = await startScriptedUpstream();
  llm = claudeRuntime();
});
afterEach(() => {
  upstream.requests.length = 0;
});
afterAll(async () => {
  await llm.close();
  await upstream.close();
});

const REPLY = { text: ["Hel", "lo ", "world"], thinking: ["Let me ", "think."], inputTokens: 12, outputTokens: 9 };

describe("streamed answers", () => {
  it("assembles the text deltas and keeps thinking out of the answer", async () => {
    upstream.handle((_req, res) => sendAnthropicStream(res, anthropicEvents(REPLY)));
    const events: LlmEvent[] = [];
    const text = await llm.ask(askRequest("hello"), ctx(undefined, { onEvent: (e) => events.push(e) }));
    expect(text).toBe("Hello world");
    const tokens = events.flatMap((e) => (e.type === "llm.token" ? [e.text] : []));
    expect(tokens).toEqual(["Hel", "lo ", "world"]);
    expect(upstream.requests).toHaveLength(1);
  });

  it("one attempt's result: thinking as reasoning, stop_reason, usage from message_start and message_delta", async () => {
    upstream.handle((_req, res) => sendAnthropicStream(res, anthropicEvents({ ...REPLY, stopReason: "max_tokens" })));
    const provider = llm.registry.get("claude")!;
    const agent = new Agent();
    const deadlines = new AttemptDeadlines({ totalMs: 3000, ttftMs: 0, idleMs: 0 }, new AbortController().signal);
    try {
      const result = await sendAttempt({ dispatcher: agent, provider, adapter: anthropic, chat: { model: "claude-x", prompt: "hi", temperature: 0.2, stream: true }, deadlines });
      expect(result).toEqual({ text: "Hello world", reasoning: "Let me think.", finishReason: "max_tokens", usage: { promptTokens: 12, completionTokens: 9 } });
    } finally {
      deadlines.dispose();
      await agent.close();
    }
  });

  it("sends POST {baseURL}/messages with x-api-key, anthropic-version, max_tokens and the user message", async () => {
    upstream.handle((_req, res) => sendAnthropicStream(res, anthropicEvents(REPLY)));
    await llm.ask(askRequest("What is 2+2?", { temperature: 0.5 }), ctx());
    const [seen] = upstream.requests;
    expect(seen!.method).toBe("POST");
    expect(seen!.path).toBe("/v1/messages");
    expect(seen!.headers["x-api-key"]).toBe("k");
    expect(seen!.headers["anthropic-version"]).toBe("2023-06-01");
    expect(seen!.headers["content-type"]).toBe("application/json");
    expect(seen!.headers.accept).toBe("text/event-stream");
    expect(seen!.headers.authorization).toBeUndefined();
    expect(seen!.body).toEqual({ model: "claude-x", max_tokens: 4096, messages: [{ role: "user", content: "What is 2+2?" }], temperature: 0.5, stream: true });
  });

  it("an `error` event is a retryable FF_LLM_STREAM failure naming the upstream's message", async () => {
    upstream.handle((_req, res) => sendAnthropicStream(res, [...anthropicEvents(REPLY).slice(0, 3), anthropicErrorEvent("overloaded_error", "Overloaded")]));
    const error = (await llm.ask(askRequest("hi"), ctx()).catch((e: unknown) => e)) as { name: string; failures: Array<{ message: string }> };
    expect(error.name).toBe("LlmAskError");
    expect(error.failures[0]!.message).toBe("the stream reported an error: Overloaded");

    let n = 0;
    upstream.handle((_req, res) => sendAnthropicStream(res, n++ === 0 ? [anthropicEvents(REPLY)[0]!, anthropicErrorEvent("overloaded_error", "Overloaded")] : anthropicEvents(REPLY)));
    upstream.requests.length = 0;
    const events: LlmEvent[] = [];
    expect(await llm.ask(askRequest("hi", { maxRetries: 1, retryDelayMs: 0 }), ctx(undefined, { onEvent: (e) => events.push(e) }))).toBe("Hello world");
    expect(upstream.requests).toHaveLength(2);
    expect(events.find((e) => e.type === "llm.retry")).toMatchObject({ reason: "stream error", error: "the stream reported an error: Overloaded" });
  });

  it("a stream that ends without message_stop fails as incomplete, and no partial text is returned", async () => {
    upstream.handle((_req, res) => sendAnthropicStream(res, anthropicEvents(REPLY).slice(0, -2)));
    const error = (await llm.ask(askRequest("hi"), ctx()).catch((e: unknown) => e)) as { failures: Array<{ message: string }> };
    expect(error.failures[0]!.message).toBe("the stream ended before the answer was complete");
  });

  it("message_start and ping are not a first token: the TTFT deadline still fires", async () => {
    upstream.handle((_req, res) => {
      startSse(res);
      const events = anthropicEvents(REPLY);
      res.write(events[0]! + events[1]!);
      // ... then nothing until the client leaves.
    });
    const t0 = performance.now();
    const error = (await llm.ask(askRequest("hi", { ttftTimeoutMs: 200 }), ctx()).catch((e: unknown) => e)) as { failures: Array<{ message: string }> };
    expect(performance.now() - t0).toBeLessThan(600);
    expect(error.failures[0]!.message).toBe("LLM gave no first token within 0.2s");
  });
});

describe("HTTP errors", () => {
  it("529 overloaded is retryable: retried, and the retry succeeds", async () => {
    let n = 0;
    upstream.handle((_req, res) => (n++ === 0 ? sendAnthropicError(res, 529, "overloaded_error", "Overloaded") : sendAnthropicStream(res, anthropicEvents(REPLY))));
    const events: LlmEvent[] = [];
    expect(await llm.ask(askRequest("hi", { maxRetries: 2, retryDelayMs: 0 }), ctx(undefined, { onEvent: (e) => events.push(e) }))).toBe("Hello world");
    expect(upstream.requests).toHaveLength(2);
    expect(events.filter((e) => e.type === "llm.retry")).toEqual([
      { type: "llm.retry", provider: "claude", model: "claude-x", attempt: 2, reason: "HTTP 529", waitMs: 0, error: "HTTP 529: Overloaded" },
    ]);
  });

  it("without retries, the error names the status and Anthropic's message", async () => {
    upstream.handle((_req, res) => sendAnthropicError(res, 529, "overloaded_error", "Overloaded"));
    const error = (await llm.ask(askRequest("hi"), ctx()).catch((e: unknown) => e)) as Error;
    expect(error.message).toBe("The LLM model is unavailable. Details: claude/claude-x: HTTP 529: Overloaded");
  });

  it("400 is not retried", async () => {
    upstream.handle((_req, res) => sendAnthropicError(res, 400, "invalid_request_error", "max_tokens: must be at most 8192"));
    const error = (await llm.ask(askRequest("hi", { maxRetries: 3, retryDelayMs: 0 }), ctx()).catch((e: unknown) => e)) as { failures: Array<{ message: string }> };
    expect(error.failures).toEqual([{ provider: "claude", model: "claude-x", phase: "request", message: "HTTP 400: max_tokens: must be at most 8192" }]);
    expect(upstream.requests).toHaveLength(1);
  });
});

describe("non-streamed answers", () => {
  it("stream: false sends a plain request and reads the text blocks, not the thinking", async () => {
    upstream.handle((_req, res) => sendAnthropicJson(res, REPLY));
    const plain = claudeRuntime({ stream: false });
    try {
      expect(await plain.ask(askRequest("hi"), ctx())).toBe("Hello world");
      const [seen] = upstream.requests;
      expect(seen!.body).toMatchObject({ model: "claude-x", max_tokens: 4096, stream: false });
      expect(seen!.headers.accept).toBe("application/json");
    } finally {
      await plain.close();
    }
  });

  it("a body without content is a clear, non-retried error", async () => {
    upstream.handle((_req, res) => {
      const text = JSON.stringify({ id: "msg_1", type: "message" });
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
      res.end(text);
    });
    const plain = claudeRuntime({ stream: false });
    try {
      const error = (await plain.ask(askRequest("hi", { maxRetries: 2 }), ctx()).catch((e: unknown) => e)) as Error;
      expect(error.message).toBe("The LLM model is unavailable. Details: claude/claude-x: the provider returned no content");
      expect(upstream.requests).toHaveLength(1);
    } finally {
      await plain.close();
    }
  });
});

describe("configuration", () => {
  it("an anthropic provider without an api key is not configured: preflight fails and nothing is sent", async () => {
    const keyless = new LlmRuntime({
      config: { provider: { claude: { type: "anthropic", options: { baseURL: `${upstream.origin}/v1` } } }, default_models: { llm: { provider_id: "claude", model_id: "claude-x" } } },
      env: {},
    });
    try {
      const error = (await keyless.ask(askRequest("hi"), ctx()).catch((e: unknown) => e)) as { message: string; failures: unknown[] };
      expect(error.message).toBe("The LLM model is unavailable. Details: claude/claude-x: provider 'claude' is not configured (no API key)");
      expect(error.failures).toEqual([{ provider: "claude", model: "claude-x", phase: "preflight", message: "provider 'claude' is not configured (no API key)" }]);
      expect(upstream.requests).toHaveLength(0);
    } finally {
      await keyless.close();
    }
  });

  it("a per-call api key override is sent as x-api-key", async () => {
    upstream.handle((_req, res) => sendAnthropicStream(res, anthropicEvents(REPLY)));
    await llm.ask(askRequest("hi", {}, { apiKey: "call-key" }), ctx());
    expect(upstream.requests[0]!.headers["x-api-key"]).toBe("call-key");
    expect(llm.registry.get("claude")!.apiKey).toBe("k");
  });
});

/** An LLM runtime pointed at a real mock-llm server on loopback, plus small helpers for ask tests. */
import { LlmRuntime } from "../../src/llm/llm-runtime.js";
import type { AskContext, AskRequest } from "../../src/llm/ask.js";
import type { LlmCallSettings } from "../../src/llm/llm-config.js";
import type { MockLlmServer } from "../../src/mock-llm/index.js";

export function runtimeFor(mock: MockLlmServer, options: { maxConnections?: number; stream?: boolean; models?: string[]; extraProviders?: Record<string, unknown> } = {}): LlmRuntime {
  return new LlmRuntime({
    env: {},
    config: {
      provider: {
        local: {
          type: "openai-compatible",
          options: { baseURL: mock.url, max_connections: options.maxConnections ?? 64, stream: options.stream ?? true },
          ...(options.models ? { models: Object.fromEntries(options.models.map((m) => [m, {}])) } : {}),
        },
        ...options.extraProviders,
      },
      default_models: { llm: { provider_id: "local", model_id: "mock-model" } },
    },
  });
}

export function askRequest(prompt: string, settings: Partial<LlmCallSettings> = {}, extra: Partial<AskRequest> = {}): AskRequest {
  return { prompt, overrideSettings: { retryDelayMs: 10, ...settings }, ...extra };
}

export function ctx(signal: AbortSignal = new AbortController().signal, extra: Partial<AskContext> = {}): AskContext {
  return { signal, ...extra };
}

/** Resolves once the mock has seen `count` requests (polls briefly; bounded). */
export async function untilRequests(mock: MockLlmServer, count: number, timeoutMs = 2000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (mock.stats().requests < count) {
    if (performance.now() > end) throw new Error(`mock saw ${mock.stats().requests} requests, expected ${count}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export async function settleTime<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown; atMs: number }> {
  try {
    const value = await promise;
    return { value, atMs: performance.now() };
  } catch (error) {
    return { error, atMs: performance.now() };
  }
}

/** An LLM runtime pointed at a real mock-llm server on loopback, plus small helpers for ask tests. */
import { afterAll, afterEach, beforeAll } from "vitest";
import { LlmRuntime } from "../../src/llm/llm-runtime.js";
import type { AskContext, AskRequest } from "../../src/llm/ask.js";
import type { LlmCallSettings } from "../../src/llm/llm-config.js";
import { startMockLlmServer, type MockLlmServer } from "../../src/mock-llm/index.js";

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

export interface MockLlmHarness {
  /** The file's mock-llm server on loopback, started before its first test. */
  readonly mock: MockLlmServer;
  /** `runtimeFor(mock)`, made once for the file and closed after its last test: only with `{ runtime: true }`. */
  readonly llm: LlmRuntime;
  /** Keeps `runtime` to be closed after the current test, before the mock is reset. */
  track<T extends { close(): Promise<unknown> }>(runtime: T): T;
}

/**
 * Registers a test file's hooks for one mock-llm server: started before the first test; after each
 * test the runtimes given to `track` are closed, then `afterEachTest` runs, then the mock's rules and
 * counters are cleared; closed (after the file's `llm`, if any) after the last test.
 */
export function useMockLlm(options: { runtime?: boolean; afterEachTest?: () => void | Promise<void> } = {}): MockLlmHarness {
  let mock: MockLlmServer | undefined;
  let llm: LlmRuntime | undefined;
  const tracked: Array<{ close(): Promise<unknown> }> = [];
  beforeAll(async () => {
    mock = await startMockLlmServer();
    if (options.runtime) llm = runtimeFor(mock);
  });
  afterEach(async () => {
    await Promise.all(tracked.splice(0).map((r) => r.close()));
    await options.afterEachTest?.();
    mock?.setRules([]);
    mock?.reset();
  });
  afterAll(async () => {
    await llm?.close();
    await mock?.close();
  });
  return {
    get mock() {
      if (!mock) throw new Error("useMockLlm: the mock starts in beforeAll");
      return mock;
    },
    get llm() {
      if (!llm) throw new Error(options.runtime ? "useMockLlm: the runtime is made in beforeAll" : "useMockLlm: pass { runtime: true } for an llm");
      return llm;
    },
    track(runtime) {
      tracked.push(runtime);
      return runtime;
    },
  };
}

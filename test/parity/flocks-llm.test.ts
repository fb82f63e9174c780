/**
 * Parity with Flocks' LLM tests (reference flocks-llm.md §3: test_workflow_llm.py and
 * test_llm_provider_isolation.py), ported to flockflow's API. Flocks' tests use fake provider
 * objects; here every provider is a real mock-llm server on loopback (two servers where two
 * providers are needed), and each mock answers `<provider>:<model>` so results read as in Flocks.
 *
 * Deliberate differences (SPEC §5): no forced Chinese prompt suffix; English aggregate messages
 * ("The LLM model is unavailable." for Flocks' "Workflow 默认模型不可用", "The requested model is
 * unavailable, and the fallback to the default model failed too." for "Workflow 显式指定模型不可用，
 * 且回退到全局默认模型也失败"); an attempt timeout reads "LLM call timed out after 0.2s"; and provider
 * isolation is by construction — registry entries are frozen and an override yields a derived view,
 * where Flocks clones a mutable provider object.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createRuntime, RunCancelledError } from "../../src/index.js";
import { LlmRuntime } from "../../src/llm/llm-runtime.js";
import { startMockLlmServer, type MockLlmServer } from "../../src/mock-llm/index.js";
import { startConnectProxy } from "../support/connect-proxy.js";
import { askRequest, ctx, settleTime, untilRequests } from "../support/llm.js";
import { workflow } from "../support/workflows.js";

let demo: MockLlmServer;
let fallback: MockLlmServer;

/** Each mock answers `<provider>:<model>`, like Flocks' fake providers. */
function answerAs(mock: MockLlmServer, providerId: string, models: string[], fault: Record<string, unknown> = {}): void {
  mock.setRules(models.map((model) => ({ match: { model }, behavior: { reply: `${providerId}:${model}`, ...fault } })));
}

function config(options: { defaultTarget?: [string, string]; demoModels?: string[]; workflowLlm?: Record<string, unknown> } = {}): Record<string, unknown> {
  return {
    provider: {
      demo: { type: "openai-compatible", options: { baseURL: demo.url }, ...(options.demoModels ? { models: options.demoModels } : {}) },
      fallback: { type: "openai-compatible", options: { baseURL: fallback.url } },
    },
    ...(options.defaultTarget ? { default_models: { llm: { provider_id: options.defaultTarget[0], model_id: options.defaultTarget[1] } } } : {}),
    ...(options.workflowLlm ? { workflow: { llm: options.workflowLlm } } : {}),
  };
}

const requestsFor = (mock: MockLlmServer, model: string) => mock.stats().requestsByModel[model] ?? 0;

beforeAll(async () => {
  demo = await startMockLlmServer();
  fallback = await startMockLlmServer();
});
afterEach(() => {
  for (const mock of [demo, fallback]) {
    mock.setRules([]);
    mock.reset();
  }
});
afterAll(async () => {
  await demo.close();
  await fallback.close();
});

async function withRuntime<T>(cfg: Record<string, unknown>, body: (llm: LlmRuntime) => Promise<T>): Promise<T> {
  const llm = new LlmRuntime({ config: cfg, env: {} });
  try {
    return await body(llm);
  } finally {
    await llm.close();
  }
}

describe("test_workflow_llm.py", () => {
  it("ask_uses_provider_chat: provider demo, model m → 'demo:m', 1 call", async () => {
    answerAs(demo, "demo", ["m"]);
    await withRuntime(config(), async (llm) => {
      expect(await llm.ask(askRequest("hello", {}, { providerId: "demo", model: "m" }), ctx())).toBe("demo:m");
      expect(demo.stats().requestsByModel).toEqual({ m: 1 });
      // Flocks appends "请使用中文输出。"; flockflow sends the prompt as written (SPEC §5).
      expect(demo.requests()[0]!.body).toMatchObject({ messages: [{ role: "user", content: "hello" }], temperature: 0.2 });
    });
  });

  it("keeps_trust_env_from_workflow_config: a call without an override keeps the provider's trust_env (the entry itself, unchanged)", async () => {
    answerAs(demo, "demo", ["m"]);
    await withRuntime(config({ defaultTarget: ["demo", "m"] }), async (llm) => {
      expect(await llm.ask(askRequest("hello"), ctx())).toBe("demo:m");
      expect(llm.registry.view("demo")).toBe(llm.registry.get("demo"));
      expect(llm.registry.get("demo")!.trustEnv).toBe(true);
    });
  });

  // PARITY GAP (src/llm/llm-config.ts SETTING_KEYS / src/llm/ask.ts): Flocks reads
  // `workflow.llm.trust_env` and, when the key is present, applies it to every workflow call's
  // provider clone (reference §1.2, §1.5 step 3, #300). flockflow ignores the key, so a Flocks config
  // with `"workflow": {"llm": {"trust_env": false}}` (bypass a corporate proxy for a local model)
  // still sends workflow calls through HTTP(S)_PROXY. Read it as the default for the call's
  // `trustEnv` override (and accept it in `metadata.llm`).
  it("PARITY GAP: workflow.llm.trust_env: false is honoured by workflow calls", async () => {
    answerAs(demo, "demo", ["m"]);
    const proxy = await startConnectProxy();
    const llm = new LlmRuntime({ config: config({ defaultTarget: ["demo", "m"], workflowLlm: { trust_env: false } }), env: { HTTP_PROXY: proxy.url } });
    try {
      expect(await llm.ask(askRequest("hello"), ctx())).toBe("demo:m");
      expect(proxy.tunnels + proxy.forwarded).toBe(0);
    } finally {
      await llm.close();
      await proxy.close();
    }
  });

  it("node_supports_provider_prefixed_model: an llm node with model 'demo/m' and output_key 'summary'", async () => {
    answerAs(demo, "demo", ["m"]);
    const runtime = createRuntime({ config: config({ defaultTarget: ["fallback", "fallback-model"] }), env: {} });
    try {
      const wf = workflow("summarise", [{ id: "summarise", type: "llm", prompt: "Summarise: {{ text }}", model: "demo/m", output_key: "summary" }]);
      const result = await runtime.run(wf, { inputs: { text: "a long report" } });
      expect(result.status).toBe("succeeded");
      expect(result.outputs).toEqual({ summary: "demo:m" });
      expect(demo.stats().requestsByModel).toEqual({ m: 1 });
      expect(fallback.stats().requests).toBe(0);
      expect(demo.requests()[0]!.body).toMatchObject({ messages: [{ role: "user", content: "Summarise: a long report" }] });
    } finally {
      await runtime.close();
    }
  });

  it("an llm node without output_key stores the answer under 'result'", async () => {
    answerAs(fallback, "fallback", ["fallback-model"]);
    const runtime = createRuntime({ config: config({ defaultTarget: ["fallback", "fallback-model"] }), env: {} });
    try {
      const result = await runtime.run(workflow("n", [{ id: "n", type: "llm", prompt: "hi" }]));
      expect(result.outputs).toEqual({ result: "fallback:fallback-model" });
    } finally {
      await runtime.close();
    }
  });

  it("falls_back_to_default_when_requested_model_missing: demo lists only 'other' → 'fallback:fallback-model'; calls 0/1", async () => {
    answerAs(demo, "demo", ["m", "other"]);
    answerAs(fallback, "fallback", ["fallback-model"]);
    await withRuntime(config({ defaultTarget: ["fallback", "fallback-model"], demoModels: ["other"] }), async (llm) => {
      expect(await llm.ask(askRequest("hello", {}, { providerId: "demo", model: "m" }), ctx())).toBe("fallback:fallback-model");
      expect(demo.stats().requests).toBe(0);
      expect(requestsFor(fallback, "fallback-model")).toBe(1);
    });
  });

  it("falls_back_to_default_when_requested_call_fails: the requested call fails → fallback result; calls 1/1", async () => {
    answerAs(demo, "demo", ["m"], { status: 500 });
    answerAs(fallback, "fallback", ["fallback-model"]);
    await withRuntime(config({ defaultTarget: ["fallback", "fallback-model"] }), async (llm) => {
      const events: string[] = [];
      const text = await llm.ask(askRequest("hello", {}, { providerId: "demo", model: "m" }), ctx(undefined, { onEvent: (e) => events.push(`${e.type} ${e.provider}/${e.model}`) }));
      expect(text).toBe("fallback:fallback-model");
      expect([requestsFor(demo, "m"), requestsFor(fallback, "fallback-model")]).toEqual([1, 1]);
      expect(events.filter((e) => !e.startsWith("llm.token"))).toEqual(["llm.request demo/m", "llm.fallback demo/m", "llm.request fallback/fallback-model"]);
    });
  });

  it("when the requested model and the fallback both fail, one error lists both (Flocks: 显式指定模型不可用，且回退…也失败)", async () => {
    answerAs(demo, "demo", ["m"], { status: 500 });
    answerAs(fallback, "fallback", ["fallback-model"], { status: 503 });
    await withRuntime(config({ defaultTarget: ["fallback", "fallback-model"] }), async (llm) => {
      const error = (await llm.ask(askRequest("hello", {}, { providerId: "demo", model: "m" }), ctx()).catch((e: unknown) => e)) as Error;
      expect(error).toMatchObject({ name: "LlmAskError", code: "FF_LLM_UNAVAILABLE" });
      expect(error.message).toBe(
        "The requested model is unavailable, and the fallback to the default model failed too. Details: demo/m: HTTP 500: mock-llm: 500 Internal Server Error; fallback/fallback-model: HTTP 503: mock-llm: 503 Service Unavailable",
      );
    });
  });

  it("retries_then_succeeds: error, error, ok with max_retries=2, retry_delay_s=0 → 'demo:m', 3 calls", async () => {
    answerAs(demo, "demo", ["m"], { status: 502, failFirst: 2 });
    await withRuntime(config(), async (llm) => {
      expect(await llm.ask(askRequest("hello", { maxRetries: 2, retryDelayMs: 0 }, { providerId: "demo", model: "m" }), ctx())).toBe("demo:m");
      expect(requestsFor(demo, "m")).toBe(3);
    });
  });

  it("timeout_retries_then_raises: a stalled call, timeout 0.2 s, max_retries=2 → 'LLM call timed out after 0.2s', 3 calls", async () => {
    answerAs(demo, "demo", ["m"], { stallAfterHeaders: true });
    await withRuntime(config(), async (llm) => {
      const t0 = performance.now();
      const error = (await llm.ask(askRequest("hello", { timeoutMs: 200, maxRetries: 2, retryDelayMs: 0 }, { providerId: "demo", model: "m" }), ctx()).catch((e: unknown) => e)) as Error;
      const elapsed = performance.now() - t0;
      expect(error).toMatchObject({ name: "LlmAskError", code: "FF_LLM_UNAVAILABLE" });
      expect(error.message).toMatch(/timed out after 0\.2s/);
      expect(error.message).toBe("The LLM model is unavailable. Details: demo/m: LLM call timed out after 0.2s");
      expect(requestsFor(demo, "m")).toBe(3);
      expect(elapsed).toBeGreaterThanOrEqual(590);
      expect(elapsed).toBeLessThan(1500);
    });
  });

  it("ask_honors_cancel_checker: a 5 s call cancelled at 50 ms → RunCancelledError 'Run cancelled', < 1 s", async () => {
    answerAs(demo, "demo", ["m"], { firstByteDelayMs: 5000 });
    await withRuntime(config(), async (llm) => {
      const controller = new AbortController();
      const t0 = performance.now();
      const pending = settleTime(llm.ask(askRequest("hello", { maxRetries: 3 }, { providerId: "demo", model: "m" }), ctx(controller.signal)));
      await untilRequests(demo, 1);
      setTimeout(() => controller.abort(new RunCancelledError("<llm>")), 50);
      const settled = await pending;
      expect(settled.error).toBeInstanceOf(RunCancelledError);
      expect((settled.error as Error).message).toMatch(/^Run cancelled/);
      expect((settled.error as Error).message).toBe("Run cancelled: run_id=<llm>");
      expect(settled.atMs - t0).toBeLessThan(1000);
      expect(requestsFor(demo, "m")).toBe(1);
    });
  });

  it("a cancelled run with a stalled llm node ends 'cancelled' within 1 s", async () => {
    answerAs(demo, "demo", ["m"], { stallAfterHeaders: true });
    const runtime = createRuntime({ config: config({ defaultTarget: ["demo", "m"] }), env: {} });
    try {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      const t0 = performance.now();
      const result = await runtime.run(workflow("n", [{ id: "n", type: "llm", prompt: "hi" }]), { signal: controller.signal });
      expect(result.status).toBe("cancelled");
      expect(result.outputs).toEqual({});
      expect(performance.now() - t0).toBeLessThan(1000);
    } finally {
      await runtime.close();
    }
  });

  it("raises_clear_error_when_default_is_unavailable: an unconfigured default provider fails in preflight, no request", async () => {
    await withRuntime(
      {
        provider: { x: { npm: "@ai-sdk/openai", options: { baseURL: demo.url } } },
        default_models: { llm: { provider_id: "x", model_id: "gpt-x" } },
      },
      async (llm) => {
        const error = (await llm.ask(askRequest("hello"), ctx()).catch((e: unknown) => e)) as Error & { failures: unknown[] };
        expect(error).toMatchObject({ name: "LlmAskError", code: "FF_LLM_UNAVAILABLE" });
        expect(error.message).toBe("The LLM model is unavailable. Details: x/gpt-x: provider 'x' is not configured (no API key)");
        expect(error.failures).toEqual([{ provider: "x", model: "gpt-x", phase: "preflight", message: "provider 'x' is not configured (no API key)" }]);
        expect(demo.stats().requests).toBe(0);
      },
    );
  });

  it("an unknown provider named explicitly fails in preflight and falls back", async () => {
    answerAs(fallback, "fallback", ["fallback-model"]);
    await withRuntime(config({ defaultTarget: ["fallback", "fallback-model"] }), async (llm) => {
      expect(await llm.ask(askRequest("hello", {}, { providerId: "nope", model: "m" }), ctx())).toBe("fallback:fallback-model");
      fallback.setRules([{ behavior: { status: 500 } }]);
      const error = (await llm.ask(askRequest("hello", {}, { providerId: "nope", model: "m" }), ctx()).catch((e: unknown) => e)) as { failures: Array<{ phase: string; message: string }> };
      expect(error.failures.map((f) => [f.phase, f.message])).toEqual([
        ["preflight", "provider 'nope' does not exist"],
        ["request", "HTTP 500: mock-llm: 500 Internal Server Error"],
      ]);
    });
  });

  // Flocks re-reads flocks.json on every ask, so switching default_models.llm between two calls is
  // seen by the second call. flockflow's provider registry is built once per runtime and is
  // immutable (SPEC §1.2): no call can change it and no call remembers a previous call's target.
  // The default is read from the registry at each call, so a runtime built from the new config sees
  // the new default, and the old runtime keeps answering with its own — nothing is sticky.
  it("get_llm_client_does_not_stick_to_old_default: a runtime built with a new default uses it", async () => {
    answerAs(demo, "first", ["first-model"]);
    answerAs(fallback, "second", ["second-model"]);
    const cfg = (target: [string, string]) => ({
      provider: { first: { type: "openai-compatible", options: { baseURL: demo.url } }, second: { type: "openai-compatible", options: { baseURL: fallback.url } } },
      default_models: { llm: { provider_id: target[0], model_id: target[1] } },
    });
    await withRuntime(cfg(["first", "first-model"]), async (first) => {
      expect(await first.ask(askRequest("hello"), ctx())).toBe("first:first-model");
      await withRuntime(cfg(["second", "second-model"]), async (second) => {
        expect(await second.ask(askRequest("hello"), ctx())).toBe("second:second-model");
      });
      expect(await first.ask(askRequest("hello"), ctx())).toBe("first:first-model");
    });
    expect([requestsFor(demo, "first-model"), requestsFor(fallback, "second-model")]).toEqual([2, 1]);
  });

  it("a run-level model override applies to that run only; the next run uses the default again", async () => {
    answerAs(demo, "demo", ["m"]);
    answerAs(fallback, "fallback", ["fallback-model"]);
    const runtime = createRuntime({ config: config({ defaultTarget: ["fallback", "fallback-model"] }), env: {} });
    try {
      const wf = workflow("n", [{ id: "n", type: "llm", prompt: "hi" }]);
      expect((await runtime.run(wf, { llm: { model: "demo/m" } })).outputs).toEqual({ result: "demo:m" });
      expect((await runtime.run(wf)).outputs).toEqual({ result: "fallback:fallback-model" });
    } finally {
      await runtime.close();
    }
  });
});

describe("test_llm_provider_isolation.py", () => {
  // The shared provider of Flocks' tests: key `session-key`, URL `https://session.example.com`,
  // settings {trust_env: true, verify_ssl: false}.
  const shared = {
    provider: {
      session: { npm: "@ai-sdk/openai-compatible", options: { apiKey: "session-key", baseURL: "https://session.example.com", trust_env: true, verify_ssl: false }, models: ["s1", "s2"] },
      runtime: { npm: "@ai-sdk/openai-compatible", options: { baseURL: "https://runtime.example.com/v1" } },
    },
  };

  function registry() {
    return new LlmRuntime({ config: shared, env: {} }).registry;
  }

  function snapshot(entry: object): Record<string, unknown> {
    const copy: Record<string, unknown> = { ...entry };
    copy.models = [...(entry as { models: Set<string> }).models];
    return copy;
  }

  it("returns_isolated_instance_when_config_unchanged: with no override the frozen entry itself is used; nothing is written", () => {
    const reg = registry();
    const entry = reg.get("session")!;
    const before = snapshot(entry);
    const view = reg.view("session", {});
    // Flocks clones because its providers are mutable; a frozen entry needs no copy.
    expect(view).toBe(entry);
    expect(Object.isFrozen(entry)).toBe(true);
    expect(Object.isFrozen(entry.headers)).toBe(true);
    expect(snapshot(reg.get("session")!)).toEqual(before);
  });

  it("does_not_override_session_trust_env: an override without trustEnv keeps trust_env and verify_ssl", () => {
    const reg = registry();
    const view = reg.view("session", { apiKey: "wf-key" })!;
    expect({ trustEnv: view.trustEnv, verifySsl: view.verifySsl }).toEqual({ trustEnv: true, verifySsl: false });
    expect({ trustEnv: reg.get("session")!.trustEnv, verifySsl: reg.get("session")!.verifySsl }).toEqual({ trustEnv: true, verifySsl: false });
  });

  it("overrides_when_workflow_trust_env_explicit: trustEnv false lands on the view only", () => {
    const reg = registry();
    const before = snapshot(reg.get("session")!);
    const view = reg.view("session", { trustEnv: false })!;
    expect(view).not.toBe(reg.get("session"));
    expect(Object.isFrozen(view)).toBe(true);
    expect({ trustEnv: view.trustEnv, verifySsl: view.verifySsl, apiKey: view.apiKey, baseUrl: view.baseUrl }).toEqual({
      trustEnv: false,
      verifySsl: false,
      apiKey: "session-key",
      baseUrl: "https://session.example.com",
    });
    expect(snapshot(reg.get("session")!)).toEqual(before);
  });

  it("reconfigures_when_api_key_changes: the new key is on the view; the entry keeps the session key", () => {
    const reg = registry();
    const view = reg.view("session", { apiKey: "workflow-key" })!;
    expect(view.apiKey).toBe("workflow-key");
    expect(view.baseUrl).toBe("https://session.example.com");
    expect(reg.get("session")!.apiKey).toBe("session-key");
  });

  it("reconfigures_when_base_url_changes: the new URL (trailing slash dropped) is on the view only", () => {
    const reg = registry();
    const view = reg.view("session", { baseUrl: "https://workflow.example.com/v1/" })!;
    expect(view.baseUrl).toBe("https://workflow.example.com/v1");
    expect(view.apiKey).toBe("session-key");
    expect(reg.get("session")!.baseUrl).toBe("https://session.example.com");
  });

  it("uses_runtime_api_key_when_shared_config_missing: a keyless entry + runtime key, URL and trust_env false", () => {
    const reg = registry();
    const view = reg.view("runtime", { apiKey: "runtime-key", baseUrl: "https://runtime.example.com", trustEnv: false })!;
    expect({ apiKey: view.apiKey, baseUrl: view.baseUrl, trustEnv: view.trustEnv, verifySsl: view.verifySsl }).toEqual({
      apiKey: "runtime-key",
      baseUrl: "https://runtime.example.com",
      trustEnv: false,
      verifySsl: true,
    });
    expect(reg.get("runtime")!.apiKey).toBeUndefined();
    expect(reg.get("runtime")!.trustEnv).toBe(true);
  });

  it("the view inherits everything else verbatim (headers, models, stream, limits, timeouts)", () => {
    const reg = registry();
    const entry = reg.get("session")!;
    const view = reg.view("session", { apiKey: "k2" })!;
    expect(view.headers).toBe(entry.headers);
    expect(view.models).toBe(entry.models);
    expect([view.stream, view.maxConnections, view.defaults, view.type, view.id]).toEqual([entry.stream, entry.maxConnections, entry.defaults, entry.type, entry.id]);
  });

  it("an unknown provider has no view", () => {
    expect(registry().view("nope", { apiKey: "k" })).toBeUndefined();
  });

  // BUG (minor; src/llm/llm-config.ts parseProvider): the entry is frozen but its `models` is a
  // plain Set, so the shared model list (what preflight checks) can still be changed through the
  // registry: `registry.get(id).models.add(...)`. Freeze it too (e.g. a ReadonlySet wrapper whose
  // mutators throw, or store a frozen array and build the Set privately).
  it("BUG: the shared entry's model list cannot be changed through the registry", () => {
    const reg = registry();
    const models = reg.get("session")!.models as Set<string>;
    try {
      models.add("sneaked-in");
    } catch {
      // refusing the write is the correct behaviour
    }
    expect([...reg.get("session")!.models]).toEqual(["s1", "s2"]);
  });

  it("end to end: a run-level api key and base URL reach the other server; the registry entry is unchanged", async () => {
    answerAs(fallback, "demo", ["m"]);
    const runtime = createRuntime({ config: config({ defaultTarget: ["demo", "m"] }), env: {} });
    try {
      const before = snapshot(runtime.llm.registry.get("demo")!);
      const wf = workflow("n", [{ id: "n", type: "llm", prompt: "hi" }]);
      const result = await runtime.run(wf, { llm: { apiKey: "run-key", baseUrl: fallback.url } });
      expect(result.outputs).toEqual({ result: "demo:m" });
      expect(fallback.requests().map((r) => r.authorization)).toEqual(["Bearer run-key"]);
      expect(demo.stats().requests).toBe(0);
      expect(snapshot(runtime.llm.registry.get("demo")!)).toEqual(before);
      // The next run without overrides goes to the configured URL, without a key.
      answerAs(demo, "demo", ["m"]);
      expect((await runtime.run(wf)).outputs).toEqual({ result: "demo:m" });
      expect(demo.requests().map((r) => r.authorization)).toEqual([null]);
    } finally {
      await runtime.close();
    }
  });
});

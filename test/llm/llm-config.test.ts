/**
 * The LLM part of the config (SPEC §5, §6; reference flocks-llm.md §2.5): Flocks' `provider`
 * section (`npm` or `type`, options, models), `default_models.llm`, the legacy top-level
 * `model: "p/m"`, `workflow.llm` defaults (seconds → ms), and the OPENAI_* fallback. Every bad value
 * is a ConfigError naming its key path.
 */
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.js";
import { LlmRuntime } from "../../src/llm/llm-runtime.js";
import { BUILTIN_LLM_SETTINGS, parseLlmSettings, readLlmConfig, type ProviderConfig } from "../../src/llm/llm-config.js";

function provider(raw: Record<string, unknown>, id = "p"): ProviderConfig {
  return readLlmConfig({ provider: { [id]: raw } }, {}).providers.get(id)!;
}

function configError(config: Record<string, unknown>, env: NodeJS.ProcessEnv = {}, source?: string): ConfigError {
  try {
    readLlmConfig(config, env, source);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("the provider section", () => {
  it("npm @ai-sdk/openai-compatible: an openai-compatible provider that needs a base URL but no key", () => {
    const p = provider({ npm: "@ai-sdk/openai-compatible", options: { baseURL: "http://127.0.0.1:11434/v1" } }, "local");
    expect(p).toMatchObject({ id: "local", type: "openai-compatible", baseUrl: "http://127.0.0.1:11434/v1", apiKey: undefined, requiresApiKey: false });
  });

  it("npm @ai-sdk/openai: OpenAI's URL by default, and a key is required", () => {
    const p = provider({ npm: "@ai-sdk/openai", options: { apiKey: "sk-1" } });
    expect(p).toMatchObject({ type: "openai-compatible", baseUrl: "https://api.openai.com/v1", apiKey: "sk-1", requiresApiKey: true });
  });

  it("npm @ai-sdk/anthropic: an anthropic provider on Anthropic's URL by default, key required", () => {
    const p = provider({ npm: "@ai-sdk/anthropic", options: { apiKey: "k" } });
    expect(p).toMatchObject({ type: "anthropic", baseUrl: "https://api.anthropic.com/v1", apiKey: "k", requiresApiKey: true });
  });

  it("type openai-compatible / anthropic select the same implementations as the npm names", () => {
    expect(provider({ type: "openai-compatible", options: { baseURL: "http://h/v1" } })).toMatchObject({ type: "openai-compatible", requiresApiKey: false });
    expect(provider({ type: "anthropic" })).toMatchObject({ type: "anthropic", baseUrl: "https://api.anthropic.com/v1", requiresApiKey: true });
  });

  it("defaults: trust_env true, verify_ssl true, stream true, 64 connections, no headers, no models, no timeouts", () => {
    const p = provider({ type: "openai-compatible", options: { baseURL: "http://h/v1" } });
    expect(p).toMatchObject({ trustEnv: true, verifySsl: true, stream: true, maxConnections: 64, headers: {}, defaults: {} });
    expect(p.models.size).toBe(0);
  });

  it("options: baseURL (trailing slashes dropped), apiKey, headers, trust_env, verify_ssl, stream, max_connections", () => {
    const p = provider({
      npm: "@ai-sdk/openai-compatible",
      options: {
        baseURL: "https://gw.example/v1//",
        apiKey: "  sk-xyz  ",
        headers: { "x-team": "blue" },
        trust_env: false,
        verify_ssl: false,
        stream: false,
        max_connections: 3,
      },
    });
    expect(p).toMatchObject({
      baseUrl: "https://gw.example/v1",
      apiKey: "sk-xyz",
      headers: { "x-team": "blue" },
      trustEnv: false,
      verifySsl: false,
      stream: false,
      maxConnections: 3,
    });
    expect(Object.isFrozen(p)).toBe(true);
    expect(Object.isFrozen(p.headers)).toBe(true);
  });

  it("accepts the aliases base_url, api_key, ssl_verify, maxConnections and Flocks' string booleans", () => {
    const p = provider({ type: "openai-compatible", options: { base_url: "http://h/v1", api_key: "k", ssl_verify: "no", trust_env: "off", stream: "yes", maxConnections: 5 } });
    expect(p).toMatchObject({ baseUrl: "http://h/v1", apiKey: "k", verifySsl: false, trustEnv: false, stream: true, maxConnections: 5 });
    expect(provider({ type: "openai-compatible", options: { baseURL: "http://h/v1", trust_env: "1", verify_ssl: "TRUE" } })).toMatchObject({ trustEnv: true, verifySsl: true });
  });

  it("a blank apiKey (an unresolved {secret:...}) counts as no key", () => {
    expect(provider({ npm: "@ai-sdk/openai", options: { apiKey: "   " } }).apiKey).toBeUndefined();
  });

  it("timeout keys are seconds in the config and ms in the provider's defaults", () => {
    const p = provider({ type: "openai-compatible", options: { baseURL: "http://h/v1", timeout_s: 30, ttft_timeout_s: 2.5, idle_timeout_s: 0.25, max_retries: 9 } });
    // Only the timeouts are provider-level; max_retries belongs to workflow.llm and the call.
    expect(p.defaults).toEqual({ timeoutMs: 30_000, ttftTimeoutMs: 2_500, idleTimeoutMs: 250 });
  });

  it("models as an object keyed by id, or as a list of ids", () => {
    const byObject = provider({ type: "openai-compatible", options: { baseURL: "http://h/v1" }, models: { "qwen-max": { context_window: 131072 }, llama3: {} } });
    expect([...byObject.models]).toEqual(["qwen-max", "llama3"]);
    const byList = provider({ type: "openai-compatible", options: { baseURL: "http://h/v1" }, models: ["a", "b"] });
    expect([...byList.models]).toEqual(["a", "b"]);
  });

  it("reads several providers", () => {
    const cfg = readLlmConfig(
      { provider: { local: { npm: "@ai-sdk/openai-compatible", options: { baseURL: "http://127.0.0.1:11434/v1" } }, claude: { type: "anthropic", options: { apiKey: "k" } } } },
      {},
    );
    expect([...cfg.providers.keys()]).toEqual(["local", "claude"]);
    expect(cfg.providers.get("claude")!.type).toBe("anthropic");
  });
});

describe("default model", () => {
  const providers = { local: { type: "openai-compatible", options: { baseURL: "http://h/v1" } } };

  it("default_models.llm {provider_id, model_id}", () => {
    expect(readLlmConfig({ provider: providers, default_models: { llm: { provider_id: " local ", model_id: "qwen3" } } }, {}).defaultTarget).toEqual({ providerId: "local", modelId: "qwen3" });
  });

  it("the legacy top-level model: 'p/m' splits at the first slash", () => {
    expect(readLlmConfig({ provider: providers, model: "openrouter/meta-llama/x" }, {}).defaultTarget).toEqual({ providerId: "openrouter", modelId: "meta-llama/x" });
  });

  it("default_models.llm wins over the legacy model", () => {
    expect(readLlmConfig({ provider: providers, model: "a/b", default_models: { llm: { provider_id: "local", model_id: "m" } } }, {}).defaultTarget).toEqual({ providerId: "local", modelId: "m" });
  });

  it("a legacy model without a slash, or no default at all, gives no default target", () => {
    expect(readLlmConfig({ provider: providers, model: "gpt-4o" }, {}).defaultTarget).toBeUndefined();
    expect(readLlmConfig({ provider: providers }, {}).defaultTarget).toBeUndefined();
    expect(readLlmConfig({ provider: providers, default_models: {} }, {}).defaultTarget).toBeUndefined();
  });
});

describe("workflow.llm defaults", () => {
  it("snake_case seconds become ms; counts, temperature and prompt_suffix are kept", () => {
    const cfg = readLlmConfig({ workflow: { llm: { timeout_s: 30, ttft_timeout_s: 5, idle_timeout_s: 2.5, max_retries: 2, retry_delay_s: 0.5, concurrency: 4, temperature: 0, prompt_suffix: " Answer briefly." } } }, {});
    expect(cfg.workflowDefaults).toEqual({
      timeoutMs: 30_000,
      ttftTimeoutMs: 5_000,
      idleTimeoutMs: 2_500,
      maxRetries: 2,
      retryDelayMs: 500,
      concurrency: 4,
      temperature: 0,
      promptSuffix: " Answer briefly.",
    });
  });

  it("the runtime's base settings are the built-in defaults under workflow.llm", () => {
    expect(BUILTIN_LLM_SETTINGS).toEqual({ timeoutMs: 120_000, ttftTimeoutMs: 60_000, idleTimeoutMs: 60_000, maxRetries: 0, retryDelayMs: 1_000, concurrency: 8, temperature: 0.2, promptSuffix: "" });
    const llm = new LlmRuntime({ config: { workflow: { llm: { max_retries: 3, timeout_s: 10 } } }, env: {} });
    expect(llm.baseSettings).toEqual({ ...BUILTIN_LLM_SETTINGS, maxRetries: 3, timeoutMs: 10_000 });
  });

  it("null values and unknown keys are ignored", () => {
    expect(parseLlmSettings({ timeout_s: null, something_else: 1 }, "workflow.llm")).toEqual({});
    expect(parseLlmSettings(undefined, "workflow.llm")).toEqual({});
  });
});

describe("the OPENAI_API_KEY / OPENAI_BASE_URL fallback", () => {
  it("with no provider section, OPENAI_API_KEY defines provider 'openai' on OpenAI's URL", () => {
    const cfg = readLlmConfig({}, { OPENAI_API_KEY: "sk-env" });
    expect([...cfg.providers.keys()]).toEqual(["openai"]);
    expect(cfg.providers.get("openai")).toMatchObject({ type: "openai-compatible", baseUrl: "https://api.openai.com/v1", apiKey: "sk-env" });
    expect(cfg.defaultTarget).toBeUndefined();
  });

  it("OPENAI_BASE_URL alone defines a keyless provider on that URL", () => {
    const cfg = readLlmConfig({}, { OPENAI_BASE_URL: "http://127.0.0.1:9/v1/" });
    expect(cfg.providers.get("openai")).toMatchObject({ baseUrl: "http://127.0.0.1:9/v1", apiKey: undefined, requiresApiKey: false });
  });

  it("OPENAI_MODEL names the default model of that provider", () => {
    expect(readLlmConfig({}, { OPENAI_API_KEY: "k", OPENAI_MODEL: "gpt-4o-mini" }).defaultTarget).toEqual({ providerId: "openai", modelId: "gpt-4o-mini" });
  });

  it("a configured default_models.llm wins over OPENAI_MODEL", () => {
    expect(readLlmConfig({ default_models: { llm: { provider_id: "openai", model_id: "x" } } }, { OPENAI_API_KEY: "k", OPENAI_MODEL: "y" }).defaultTarget).toEqual({ providerId: "openai", modelId: "x" });
  });

  it("is not used when a provider section exists", () => {
    const cfg = readLlmConfig({ provider: { local: { type: "openai-compatible", options: { baseURL: "http://h/v1" } } } }, { OPENAI_API_KEY: "k", OPENAI_BASE_URL: "http://other/v1", OPENAI_MODEL: "m" });
    expect([...cfg.providers.keys()]).toEqual(["local"]);
    expect(cfg.defaultTarget).toBeUndefined();
  });

  it("no config and no OPENAI_* variables: no providers; OPENAI_MODEL alone defines nothing", () => {
    expect(readLlmConfig({}, {}).providers.size).toBe(0);
    const cfg = readLlmConfig({}, { OPENAI_MODEL: "m" });
    expect(cfg.providers.size).toBe(0);
    expect(cfg.defaultTarget).toBeUndefined();
  });
});

describe("bad values fail with a ConfigError naming the key path", () => {
  const base = (options: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ provider: { local: { type: "openai-compatible", options: { baseURL: "http://h/v1", ...options }, ...extra } } });

  const CASES: Array<[string, Record<string, unknown>, string]> = [
    ["provider is not an object", { provider: "openai" }, "provider"],
    ["a provider is not an object", { provider: { x: 5 } }, "provider.x"],
    ["a provider with neither type nor npm", { provider: { x: { options: {} } } }, "provider.x"],
    ["an unsupported npm package", { provider: { x: { npm: "@ai-sdk/google" } } }, "provider.x.npm"],
    ["npm that is not a string", { provider: { x: { npm: 7 } } }, "provider.x.npm"],
    ["an unknown type", { provider: { x: { type: "gemini" } } }, "provider.x.type"],
    ["options is not an object", { provider: { local: { type: "openai-compatible", options: ["x"] } } }, "provider.local.options"],
    ["an openai-compatible provider without baseURL", { provider: { local: { npm: "@ai-sdk/openai-compatible", options: {} } } }, "provider.local.options.baseURL"],
    ["a baseURL that is not a URL", base({ baseURL: "not a url" }), "provider.local.options.baseURL"],
    ["a baseURL that is not http(s)", base({ baseURL: "ftp://h/v1" }), "provider.local.options.baseURL"],
    ["a baseURL that is not a string", base({ baseURL: 42 }), "provider.local.options.baseURL"],
    ["an apiKey that is not a string", base({ apiKey: 42 }), "provider.local.options.apiKey"],
    ["headers that are not an object", base({ headers: "x-a: 1" }), "provider.local.options.headers"],
    ["a header value that is not a string", base({ headers: { "x-a": 1 } }), "provider.local.options.headers"],
    ["trust_env that is not a boolean", base({ trust_env: "maybe" }), "provider.local.options.trust_env"],
    ["verify_ssl that is not a boolean", base({ verify_ssl: 3 }), "provider.local.options.verify_ssl"],
    ["stream that is not a boolean", base({ stream: {} }), "provider.local.options.stream"],
    ["max_connections 0", base({ max_connections: 0 }), "provider.local.options.max_connections"],
    ["max_connections 1.5", base({ max_connections: 1.5 }), "provider.local.options.max_connections"],
    ["max_connections as a string", base({ max_connections: "8" }), "provider.local.options.max_connections"],
    ["a negative timeout_s", base({ timeout_s: -1 }), "provider.local.options.timeout_s"],
    ["ttft_timeout_s as a string", base({ ttft_timeout_s: "5" }), "provider.local.options.ttft_timeout_s"],
    ["models as a string", base({}, { models: "qwen" }), "provider.local.models"],
    ["models as a list of numbers", base({}, { models: [1, 2] }), "provider.local.models"],
    ["default_models is not an object", { default_models: "x" }, "default_models"],
    ["default_models.llm as a string", { default_models: { llm: "p/m" } }, "default_models.llm"],
    ["default_models.llm without model_id", { default_models: { llm: { provider_id: "p" } } }, "default_models.llm.model_id"],
    ["default_models.llm with a blank provider_id", { default_models: { llm: { provider_id: " ", model_id: "m" } } }, "default_models.llm.provider_id"],
    ["workflow is not an object", { workflow: 1 }, "workflow"],
    ["workflow.llm is a list", { workflow: { llm: [] } }, "workflow.llm"],
    ["workflow.llm.max_retries 1.5", { workflow: { llm: { max_retries: 1.5 } } }, "workflow.llm.max_retries"],
    ["workflow.llm.max_retries -1", { workflow: { llm: { max_retries: -1 } } }, "workflow.llm.max_retries"],
    ["workflow.llm.max_retries as a string", { workflow: { llm: { max_retries: "2" } } }, "workflow.llm.max_retries"],
    ["workflow.llm.timeout_s Infinity", { workflow: { llm: { timeout_s: Number.POSITIVE_INFINITY } } }, "workflow.llm.timeout_s"],
    ["workflow.llm.retry_delay_s NaN", { workflow: { llm: { retry_delay_s: Number.NaN } } }, "workflow.llm.retry_delay_s"],
    ["workflow.llm.concurrency 0", { workflow: { llm: { concurrency: 0 } } }, "workflow.llm.concurrency"],
    ["workflow.llm.temperature as a string", { workflow: { llm: { temperature: "hot" } } }, "workflow.llm.temperature"],
    ["workflow.llm.prompt_suffix as a number", { workflow: { llm: { prompt_suffix: 5 } } }, "workflow.llm.prompt_suffix"],
  ];

  for (const [what, config, keyPath] of CASES) {
    it(`${what} → ${keyPath}`, () => {
      const error = configError(config);
      expect(error).toMatchObject({ name: "ConfigError", code: "FF_CONFIG_INVALID", keyPath });
      expect(error.message.startsWith(`${keyPath}: `)).toBe(true);
    });
  }

  it("messages give the reason", () => {
    expect(configError({ provider: { x: { npm: "@ai-sdk/google" } } }).message).toBe(
      'provider.x.npm: unsupported provider package "@ai-sdk/google"; use one of @ai-sdk/openai-compatible, @ai-sdk/openai, @ai-sdk/anthropic or "type"',
    );
    expect(configError({ workflow: { llm: { max_retries: 1.5 } } }).message).toBe("workflow.llm.max_retries: must be an integer");
    expect(configError({ workflow: { llm: { concurrency: 0 } } }).message).toBe("workflow.llm.concurrency: must be at least 1");
    expect(configError({ provider: { local: { type: "openai-compatible", options: { baseURL: "ftp://h/v1" } } } }).message).toBe("provider.local.options.baseURL: is not an http(s) URL: ftp://h/v1");
  });

  it("the config file's path leads the message", () => {
    const error = configError({ provider: { x: { type: "gemini" } } }, {}, "/etc/flockflow.json");
    expect(error.keyPath).toBe("provider.x.type");
    expect(error.message).toBe('/etc/flockflow.json: provider.x.type: must be "openai-compatible" or "anthropic"; got "gemini"');
  });

  it("the LlmRuntime constructor fails the same way", () => {
    expect(() => new LlmRuntime({ config: { workflow: { llm: { max_retries: -2 } } }, env: {} })).toThrow(
      expect.objectContaining({ name: "ConfigError", keyPath: "workflow.llm.max_retries" }),
    );
  });

  it("metadata.llm is checked by the same rules, under its own key path", () => {
    const llm = new LlmRuntime({ env: {} });
    expect(llm.workflowSettings({ idle_timeout_s: 1.5 })).toEqual({ idleTimeoutMs: 1_500 });
    expect(() => llm.workflowSettings({ retry_delay_s: -1 })).toThrow(expect.objectContaining({ keyPath: "metadata.llm.retry_delay_s" }));
    expect(() => llm.workflowSettings("fast")).toThrow(expect.objectContaining({ keyPath: "metadata.llm" }));
  });
});

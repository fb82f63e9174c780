/**
 * Target resolution (SPEC §5; reference flocks-llm.md §1.3): `provider/model` split at the first `/`
 * only when that provider exists; a bare model borrows the default provider; a bare provider borrows
 * the default model only when the providers match; candidates `[requested, default]`, de-duplicated;
 * nothing resolvable → no candidates. Plus the registry rule: with no default model and exactly one
 * provider, that provider is the default provider for bare model names.
 */
import { describe, expect, it } from "vitest";
import { LlmRuntime } from "../../src/llm/llm-runtime.js";
import { readLlmConfig } from "../../src/llm/llm-config.js";
import { ProviderRegistry } from "../../src/llm/registry.js";
import { resolveTargets, type TargetRequest } from "../../src/llm/resolve-targets.js";
import { askRequest, ctx } from "../support/llm.js";

const oc = (url = "http://127.0.0.1:9/v1") => ({ type: "openai-compatible", options: { baseURL: url } });

function registry(providerIds: string[], defaultTarget?: [string, string] | string): ProviderRegistry {
  const config: Record<string, unknown> = { provider: Object.fromEntries(providerIds.map((id) => [id, oc()])) };
  if (Array.isArray(defaultTarget)) config.default_models = { llm: { provider_id: defaultTarget[0], model_id: defaultTarget[1] } };
  else if (typeof defaultTarget === "string") config.model = defaultTarget;
  return new ProviderRegistry(readLlmConfig(config, {}));
}

function resolve(reg: ProviderRegistry, request: TargetRequest): Array<string> {
  return resolveTargets(reg, request).candidates.map((t) => `${t.providerId}|${t.modelId}`);
}

describe("splitting provider/model", () => {
  const reg = registry(["openrouter", "local"], ["local", "qwen3"]);

  it("splits at the first '/' when that provider exists: openrouter/meta-llama/x → openrouter + meta-llama/x", () => {
    expect(resolve(reg, { model: "openrouter/meta-llama/x" })).toEqual(["openrouter|meta-llama/x", "local|qwen3"]);
  });

  it("leaves meta-llama/x whole when there is no provider 'meta-llama'; the bare model borrows the default provider", () => {
    expect(resolve(reg, { model: "meta-llama/x" })).toEqual(["local|meta-llama/x", "local|qwen3"]);
  });

  it("does not split when a half is blank ('local/' and '/x' are model names)", () => {
    expect(resolve(reg, { model: "local/" })).toEqual(["local|local/", "local|qwen3"]);
    expect(resolve(reg, { model: "/x" })).toEqual(["local|/x", "local|qwen3"]);
  });

  it("does not split a model when the provider is named separately", () => {
    expect(resolve(reg, { providerId: "openrouter", model: "local/qwen3" })).toEqual(["openrouter|local/qwen3", "local|qwen3"]);
  });

  it("trims whitespace around the model and provider", () => {
    expect(resolve(reg, { model: "  openrouter/x  " })).toEqual(["openrouter|x", "local|qwen3"]);
    expect(resolve(reg, { providerId: " openrouter ", model: " y " })).toEqual(["openrouter|y", "local|qwen3"]);
  });
});

describe("requested and default", () => {
  const reg = registry(["demo", "fallback"], ["fallback", "fallback-model"]);

  it("nothing requested → the default alone, not marked requested", () => {
    expect(resolveTargets(reg, {})).toEqual({ candidates: [{ providerId: "fallback", modelId: "fallback-model" }], requested: false });
    expect(resolveTargets(reg, { model: "  ", providerId: "" })).toEqual({ candidates: [{ providerId: "fallback", modelId: "fallback-model" }], requested: false });
  });

  it("provider and model → [requested, default]", () => {
    expect(resolveTargets(reg, { providerId: "demo", model: "m" })).toEqual({
      candidates: [
        { providerId: "demo", modelId: "m" },
        { providerId: "fallback", modelId: "fallback-model" },
      ],
      requested: true,
    });
  });

  it("a bare model borrows the default provider", () => {
    expect(resolve(reg, { model: "other-model" })).toEqual(["fallback|other-model", "fallback|fallback-model"]);
  });

  it("a bare provider borrows the default model when it is the default's provider (then the pair de-duplicates)", () => {
    expect(resolveTargets(reg, { providerId: "fallback" })).toEqual({ candidates: [{ providerId: "fallback", modelId: "fallback-model" }], requested: true });
  });

  it("a bare provider that is not the default's resolves to nothing requested: only the default is tried", () => {
    expect(resolveTargets(reg, { providerId: "demo" })).toEqual({ candidates: [{ providerId: "fallback", modelId: "fallback-model" }], requested: false });
  });

  it("a requested pair equal to the default is tried once", () => {
    expect(resolve(reg, { model: "fallback/fallback-model" })).toEqual(["fallback|fallback-model"]);
    expect(resolve(reg, { providerId: "fallback", model: "fallback-model" })).toEqual(["fallback|fallback-model"]);
  });

  it("an unknown provider named explicitly is still a candidate (preflight reports it)", () => {
    expect(resolve(reg, { providerId: "nope", model: "m" })).toEqual(["nope|m", "fallback|fallback-model"]);
  });

  it("the legacy top-level model acts as the default", () => {
    const legacy = registry(["openrouter", "local"], "openrouter/meta-llama/x");
    expect(resolve(legacy, {})).toEqual(["openrouter|meta-llama/x"]);
    expect(resolve(legacy, { model: "y" })).toEqual(["openrouter|y", "openrouter|meta-llama/x"]);
  });
});

describe("no default model", () => {
  const reg = registry(["a", "b"]);

  it("with several providers: a full pair is the only candidate", () => {
    expect(resolveTargets(reg, { model: "a/m" })).toEqual({ candidates: [{ providerId: "a", modelId: "m" }], requested: true });
  });

  it("with several providers: a bare model or a bare provider resolves to nothing", () => {
    expect(resolveTargets(reg, { model: "m" })).toEqual({ candidates: [], requested: false });
    expect(resolveTargets(reg, { providerId: "a" })).toEqual({ candidates: [], requested: false });
    expect(resolveTargets(reg, {})).toEqual({ candidates: [], requested: false });
  });

  it("the single-provider rule: with one provider and no default, bare model names go to that provider", () => {
    const single = registry(["only"]);
    expect(single.defaultProviderId).toBe("only");
    expect(single.defaultTarget).toBeUndefined();
    expect(resolveTargets(single, { model: "m" })).toEqual({ candidates: [{ providerId: "only", modelId: "m" }], requested: true });
    // It lends its id, not a model: nothing requested still means nothing to try.
    expect(resolveTargets(single, {})).toEqual({ candidates: [], requested: false });
    expect(resolveTargets(single, { providerId: "only" })).toEqual({ candidates: [], requested: false });
  });

  it("the OPENAI_BASE_URL-only setup: bare model names go to provider 'openai'", () => {
    const reg2 = new ProviderRegistry(readLlmConfig({}, { OPENAI_BASE_URL: "http://127.0.0.1:9/v1" }));
    expect(resolve(reg2, { model: "gpt-4o-mini" })).toEqual(["openai|gpt-4o-mini"]);
  });

  it("a configured default's provider is the default provider, even when it differs from the only provider", () => {
    const reg3 = registry(["only"], ["elsewhere", "m"]);
    expect(reg3.defaultProviderId).toBe("elsewhere");
    expect(resolve(reg3, { model: "x" })).toEqual(["elsewhere|x", "elsewhere|m"]);
  });

  it("no providers at all → nothing to try", () => {
    expect(resolveTargets(new ProviderRegistry(readLlmConfig({}, {})), { model: "m" })).toEqual({ candidates: [], requested: false });
  });
});

describe("ask with nothing to try", () => {
  it("fails with LlmNotConfiguredError before sending anything", async () => {
    const llm = new LlmRuntime({ config: { provider: { a: oc(), b: oc() } }, env: {} });
    try {
      const error = await llm.ask(askRequest("hi", {}, { model: "bare-model" }), ctx()).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: "LlmNotConfiguredError", code: "FF_LLM_NOT_CONFIGURED" });
      expect((error as Error).message).toBe(
        "No LLM configured: set default_models.llm in the config (or OPENAI_API_KEY / OPENAI_BASE_URL), or name a model in the node or the llm.ask call",
      );
    } finally {
      await llm.close();
    }
  });
});

/**
 * The LLM part of the configuration (SPEC §5, §6): Flocks' `provider` section as written in
 * `flocks.json`, `default_models.llm`, `workflow.llm` defaults, and the `OPENAI_API_KEY` /
 * `OPENAI_BASE_URL` fallback. Parsed once into frozen values; snake_case seconds become ms here.
 * Every error names its key path.
 */
import { ConfigError } from "../errors.js";
import { isPlainObject } from "../model/get-path.js";

export type ProviderType = "openai-compatible" | "anthropic";

/** The settings of one LLM call after defaults are applied. */
export interface LlmCallSettings {
  timeoutMs: number;
  ttftTimeoutMs: number;
  idleTimeoutMs: number;
  maxRetries: number;
  retryDelayMs: number;
  /** LLM calls in flight per run. */
  concurrency: number;
  temperature: number;
  promptSuffix: string;
  /**
   * Flocks' `workflow.llm.trust_env`: when set, it decides the proxy policy of workflow calls over
   * the provider's own `trust_env` (reference flocks-llm.md §1.2, §1.5).
   */
  trustEnv?: boolean;
}

export const BUILTIN_LLM_SETTINGS: Readonly<LlmCallSettings> = Object.freeze({
  timeoutMs: 120_000,
  ttftTimeoutMs: 60_000,
  idleTimeoutMs: 60_000,
  maxRetries: 0,
  retryDelayMs: 1_000,
  concurrency: 8,
  temperature: 0.2,
  promptSuffix: "",
});

export interface ProviderConfig {
  readonly id: string;
  readonly type: ProviderType;
  readonly baseUrl: string;
  readonly apiKey: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly trustEnv: boolean;
  readonly verifySsl: boolean;
  readonly stream: boolean;
  readonly maxConnections: number;
  /** Configured model ids (a set that refuses writes); empty = any model (preflight skips the check). */
  readonly models: ReadonlySet<string>;
  /** An OpenAI-compatible endpoint (Ollama, vLLM, a gateway) may need no key. */
  readonly requiresApiKey: boolean;
  /** Provider-level timeout overrides (`options.timeout_s` ...). */
  readonly defaults: Readonly<Partial<LlmCallSettings>>;
}

export interface LlmTarget {
  providerId: string;
  modelId: string;
}

export interface LlmConfig {
  readonly providers: ReadonlyMap<string, ProviderConfig>;
  readonly defaultTarget: LlmTarget | undefined;
  /** Config `workflow.llm`. */
  readonly workflowDefaults: Readonly<Partial<LlmCallSettings>>;
}

const SETTING_KEYS: Record<string, [keyof LlmCallSettings, "seconds" | "count" | "number" | "string" | "boolean"]> = {
  trust_env: ["trustEnv", "boolean"],
  timeout_s: ["timeoutMs", "seconds"],
  ttft_timeout_s: ["ttftTimeoutMs", "seconds"],
  idle_timeout_s: ["idleTimeoutMs", "seconds"],
  max_retries: ["maxRetries", "count"],
  retry_delay_s: ["retryDelayMs", "seconds"],
  concurrency: ["concurrency", "count"],
  temperature: ["temperature", "number"],
  prompt_suffix: ["promptSuffix", "string"],
};

/** Snake-case LLM settings (`workflow.llm`, `metadata.llm`, `llm.ask` options) → partial settings. */
export function parseLlmSettings(raw: unknown, keyPath: string, source?: string): Partial<LlmCallSettings> {
  if (raw === undefined || raw === null) return {};
  if (!isPlainObject(raw)) throw new ConfigError(keyPath, "must be an object", source);
  const out: Partial<LlmCallSettings> = {};
  for (const [key, value] of Object.entries(raw)) {
    const spec = SETTING_KEYS[key];
    if (!spec || value === undefined || value === null) continue;
    const [field, kind] = spec;
    const at = `${keyPath}.${key}`;
    if (kind === "string") {
      if (typeof value !== "string") throw new ConfigError(at, "must be a string", source);
      (out as Record<string, unknown>)[field] = value;
      continue;
    }
    if (kind === "boolean") {
      (out as Record<string, unknown>)[field] = bool(value, at, false, source);
      continue;
    }
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      throw new ConfigError(at, "must be a number >= 0", source);
    }
    if (kind === "count" && !Number.isInteger(value)) throw new ConfigError(at, "must be an integer", source);
    if (field === "concurrency" && value < 1) throw new ConfigError(at, "must be at least 1", source);
    (out as Record<string, unknown>)[field] = kind === "seconds" ? value * 1000 : value;
  }
  return out;
}

const NPM_TYPES: Record<string, { type: ProviderType; defaultBaseUrl?: string; requiresApiKey: boolean }> = {
  "@ai-sdk/openai-compatible": { type: "openai-compatible", requiresApiKey: false },
  "@ai-sdk/openai": { type: "openai-compatible", defaultBaseUrl: "https://api.openai.com/v1", requiresApiKey: true },
  "@ai-sdk/anthropic": { type: "anthropic", defaultBaseUrl: "https://api.anthropic.com/v1", requiresApiKey: true },
};

function bool(value: unknown, at: string, fallback: boolean, source?: string): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value === "boolean") return value;
  if (typeof value === "string") {
    const v = value.trim().toLowerCase();
    if (["1", "true", "yes", "on"].includes(v)) return true;
    if (["0", "false", "no", "off"].includes(v)) return false;
  }
  throw new ConfigError(at, "must be true or false", source);
}

function optionalString(options: Record<string, unknown>, names: string[], at: string, source?: string): string | undefined {
  for (const name of names) {
    const v = options[name];
    if (v === undefined || v === null) continue;
    if (typeof v !== "string") throw new ConfigError(`${at}.${name}`, "must be a string", source);
    // Flocks treats a blank value (an unresolved `{secret:...}`) as absent.
    return v.trim() === "" ? undefined : v.trim();
  }
  return undefined;
}

/** A Set whose contents cannot change after construction: shared provider entries are immutable. */
class FrozenSet<T> extends Set<T> {
  #frozen = false;
  constructor(values: Iterable<T>) {
    super();
    for (const value of values) super.add(value);
    this.#frozen = true;
  }
  override add(value: T): this {
    if (this.#frozen) throw new TypeError("this set is read-only");
    return super.add(value);
  }
  override delete(): boolean {
    throw new TypeError("this set is read-only");
  }
  override clear(): void {
    throw new TypeError("this set is read-only");
  }
}

function parseProvider(id: string, raw: unknown, source?: string): ProviderConfig {
  const at = `provider.${id}`;
  if (!isPlainObject(raw)) throw new ConfigError(at, "must be an object", source);
  let kind: (typeof NPM_TYPES)[string] | undefined;
  if (raw.type !== undefined) {
    if (raw.type === "openai-compatible") kind = NPM_TYPES["@ai-sdk/openai-compatible"];
    else if (raw.type === "anthropic") kind = NPM_TYPES["@ai-sdk/anthropic"];
    else throw new ConfigError(`${at}.type`, `must be "openai-compatible" or "anthropic"; got ${JSON.stringify(raw.type)}`, source);
  } else if (raw.npm !== undefined) {
    kind = typeof raw.npm === "string" ? NPM_TYPES[raw.npm] : undefined;
    if (!kind) throw new ConfigError(`${at}.npm`, `unsupported provider package ${JSON.stringify(raw.npm)}; use one of ${Object.keys(NPM_TYPES).join(", ")} or "type"`, source);
  } else {
    throw new ConfigError(at, 'needs "type" (openai-compatible | anthropic) or Flocks\' "npm"', source);
  }
  const options = raw.options ?? {};
  if (!isPlainObject(options)) throw new ConfigError(`${at}.options`, "must be an object", source);
  const baseUrl = optionalString(options, ["baseURL", "baseUrl", "base_url"], `${at}.options`, source) ?? kind.defaultBaseUrl;
  if (!baseUrl) throw new ConfigError(`${at}.options.baseURL`, "is required for an openai-compatible provider", source);
  try {
    const url = new URL(baseUrl);
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("not http(s)");
  } catch {
    throw new ConfigError(`${at}.options.baseURL`, `is not an http(s) URL: ${baseUrl}`, source);
  }
  const headers = options.headers ?? {};
  if (!isPlainObject(headers) || Object.values(headers).some((v) => typeof v !== "string")) {
    throw new ConfigError(`${at}.options.headers`, "must be an object of string values", source);
  }
  const maxConnections = options.max_connections ?? options.maxConnections ?? 64;
  if (typeof maxConnections !== "number" || !Number.isInteger(maxConnections) || maxConnections < 1) {
    throw new ConfigError(`${at}.options.max_connections`, "must be an integer >= 1", source);
  }
  let modelIds: string[] = [];
  if (raw.models !== undefined && raw.models !== null) {
    if (isPlainObject(raw.models)) modelIds = Object.keys(raw.models);
    else if (Array.isArray(raw.models) && raw.models.every((m) => typeof m === "string")) modelIds = raw.models as string[];
    else throw new ConfigError(`${at}.models`, "must be an object keyed by model id (or a list of ids)", source);
  }
  const models = new FrozenSet(modelIds);
  return Object.freeze({
    id,
    type: kind.type,
    baseUrl: baseUrl.replace(/\/+$/, ""),
    apiKey: optionalString(options, ["apiKey", "api_key"], `${at}.options`, source),
    headers: Object.freeze({ ...(headers as Record<string, string>) }),
    trustEnv: bool(options.trust_env ?? options.trustEnv, `${at}.options.trust_env`, true, source),
    verifySsl: bool(options.verify_ssl ?? options.ssl_verify ?? options.verifySsl, `${at}.options.verify_ssl`, true, source),
    stream: bool(options.stream, `${at}.options.stream`, true, source),
    maxConnections,
    models,
    requiresApiKey: kind.requiresApiKey,
    defaults: Object.freeze(parseLlmSettings(pickSettings(options), `${at}.options`, source)),
  });
}

function pickSettings(options: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of ["timeout_s", "ttft_timeout_s", "idle_timeout_s"]) if (key in options) out[key] = options[key];
  return out;
}

function parseTarget(raw: unknown, at: string, source?: string): LlmTarget | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isPlainObject(raw)) throw new ConfigError(at, "must be an object {provider_id, model_id}", source);
  const providerId = raw.provider_id ?? raw.providerId;
  const modelId = raw.model_id ?? raw.modelId;
  if (typeof providerId !== "string" || providerId.trim() === "") throw new ConfigError(`${at}.provider_id`, "must be a non-empty string", source);
  if (typeof modelId !== "string" || modelId.trim() === "") throw new ConfigError(`${at}.model_id`, "must be a non-empty string", source);
  return { providerId: providerId.trim(), modelId: modelId.trim() };
}

export function readLlmConfig(config: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env, source?: string): LlmConfig {
  const providers = new Map<string, ProviderConfig>();
  const section = config.provider;
  if (section !== undefined && section !== null) {
    if (!isPlainObject(section)) throw new ConfigError("provider", "must be an object keyed by provider id", source);
    for (const [id, raw] of Object.entries(section)) providers.set(id, parseProvider(id, raw, source));
  }
  let defaultTarget: LlmTarget | undefined;
  const defaults = config.default_models;
  if (defaults !== undefined && defaults !== null) {
    if (!isPlainObject(defaults)) throw new ConfigError("default_models", "must be an object", source);
    defaultTarget = parseTarget(defaults.llm, "default_models.llm", source);
  }
  if (!defaultTarget && typeof config.model === "string" && config.model.includes("/")) {
    // Flocks' legacy top-level `model: "provider/model"`.
    const slash = config.model.indexOf("/");
    defaultTarget = { providerId: config.model.slice(0, slash), modelId: config.model.slice(slash + 1) };
  }
  if (providers.size === 0 && (env.OPENAI_API_KEY || env.OPENAI_BASE_URL)) {
    providers.set(
      "openai",
      parseProvider("openai", {
        type: "openai-compatible",
        options: { baseURL: env.OPENAI_BASE_URL || "https://api.openai.com/v1", ...(env.OPENAI_API_KEY ? { apiKey: env.OPENAI_API_KEY } : {}) },
      }),
    );
    if (!defaultTarget && env.OPENAI_MODEL) defaultTarget = { providerId: "openai", modelId: env.OPENAI_MODEL };
  }
  const workflow = config.workflow;
  let workflowDefaults: Partial<LlmCallSettings> = {};
  if (workflow !== undefined && workflow !== null) {
    if (!isPlainObject(workflow)) throw new ConfigError("workflow", "must be an object", source);
    workflowDefaults = parseLlmSettings(workflow.llm, "workflow.llm", source);
  }
  return Object.freeze({ providers, defaultTarget, workflowDefaults: Object.freeze(workflowDefaults) });
}

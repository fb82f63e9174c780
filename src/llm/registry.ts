/**
 * The provider registry: built once per runtime from the config and never written afterwards
 * (SPEC §1.2). A per-call or per-run override (api key, base URL, proxy policy) yields a derived,
 * frozen ProviderView; the shared entry is untouched, so concurrent calls with different overrides
 * cannot see each other's settings (peers.md #25).
 */
import type { LlmConfig, LlmTarget, ProviderConfig } from "./llm-config.js";
import { anthropic } from "./providers/anthropic.js";
import { openAiCompatible } from "./providers/openai-compatible.js";
import type { ProviderAdapter } from "./providers/provider-adapter.js";

export type ProviderView = ProviderConfig;

export interface ProviderOverrides {
  apiKey?: string;
  baseUrl?: string;
  trustEnv?: boolean;
}

const ADAPTERS: Record<ProviderConfig["type"], ProviderAdapter> = {
  "openai-compatible": openAiCompatible,
  anthropic,
};

export class ProviderRegistry {
  readonly #providers: ReadonlyMap<string, ProviderConfig>;
  readonly defaultTarget: LlmTarget | undefined;

  constructor(config: LlmConfig) {
    this.#providers = config.providers;
    // With a single provider and no configured default model, that provider is the default
    // provider for bare model names (the OPENAI_BASE_URL-only setup of the mock-llm demo).
    this.defaultTarget = config.defaultTarget;
  }

  has(providerId: string): boolean {
    return this.#providers.has(providerId);
  }

  get(providerId: string): ProviderConfig | undefined {
    return this.#providers.get(providerId);
  }

  /** The provider bare model names borrow: the default target's, else the only provider. */
  get defaultProviderId(): string | undefined {
    if (this.defaultTarget) return this.defaultTarget.providerId;
    return this.#providers.size === 1 ? [...this.#providers.keys()][0] : undefined;
  }

  /** A frozen view with the overrides applied; the registry entry itself is never modified. */
  view(providerId: string, overrides: ProviderOverrides = {}): ProviderView | undefined {
    const base = this.#providers.get(providerId);
    if (!base) return undefined;
    if (overrides.apiKey === undefined && overrides.baseUrl === undefined && overrides.trustEnv === undefined) return base;
    const apiKey = overrides.apiKey ?? base.apiKey;
    const baseUrl = overrides.baseUrl?.replace(/\/+$/, "") ?? base.baseUrl;
    const trustEnv = overrides.trustEnv ?? base.trustEnv;
    // Overrides that change nothing (config `workflow.llm.trust_env` equal to the provider's own,
    // applied to every call) keep the shared entry, and with it what is cached per view.
    if (apiKey === base.apiKey && baseUrl === base.baseUrl && trustEnv === base.trustEnv) return base;
    return Object.freeze({ ...base, apiKey, baseUrl, trustEnv });
  }

  adapterFor(view: ProviderView): ProviderAdapter {
    return ADAPTERS[view.type];
  }
}

/**
 * Which provider/model pairs an `ask` tries, in order (SPEC §5; reference flocks-llm.md §1.3):
 * the requested target, then the configured default, de-duplicated. `provider/model` is split at the
 * first `/` only when that provider exists (`openrouter/meta-llama/x` → openrouter +
 * `meta-llama/x`); a bare model borrows the default provider; a bare provider borrows the default
 * model when the providers match. The default is read at each call, never remembered.
 */
import type { LlmTarget } from "./llm-config.js";
import type { ProviderRegistry } from "./registry.js";

export interface TargetRequest {
  model?: string | undefined;
  providerId?: string | undefined;
}

export interface ResolvedTargets {
  candidates: LlmTarget[];
  /** True when the caller named a model or provider that resolved to a target. */
  requested: boolean;
}

export function resolveTargets(registry: ProviderRegistry, request: TargetRequest): ResolvedTargets {
  const fallback = registry.defaultTarget;
  const model = request.model?.trim() || undefined;
  let providerId = request.providerId?.trim() || undefined;
  let modelId = model;
  if (model && !providerId) {
    const slash = model.indexOf("/");
    if (slash > 0 && slash < model.length - 1 && registry.has(model.slice(0, slash))) {
      providerId = model.slice(0, slash);
      modelId = model.slice(slash + 1);
    }
  }
  let requested: LlmTarget | undefined;
  if (providerId && modelId) requested = { providerId, modelId };
  else if (modelId) {
    const borrowed = registry.defaultProviderId;
    if (borrowed) requested = { providerId: borrowed, modelId };
  } else if (providerId && fallback && fallback.providerId === providerId) {
    requested = { providerId, modelId: fallback.modelId };
  }
  const candidates: LlmTarget[] = [];
  for (const target of [requested, fallback]) {
    if (!target) continue;
    if (candidates.some((c) => c.providerId === target.providerId && c.modelId === target.modelId)) continue;
    candidates.push(target);
  }
  return { candidates, requested: requested !== undefined };
}

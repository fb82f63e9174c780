export { LlmRuntime } from "./llm-runtime.js";
export type { LlmRuntimeOptions } from "./llm-runtime.js";
export type { AskContext, AskRequest, LlmEvent } from "./ask.js";
export { ConcurrencyBudget } from "./concurrency-budget.js";
export { BUILTIN_LLM_SETTINGS, parseLlmSettings, readLlmConfig } from "./llm-config.js";
export type { LlmCallSettings, LlmConfig, LlmTarget, ProviderConfig, ProviderType } from "./llm-config.js";

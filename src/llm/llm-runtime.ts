/**
 * The long-lived LLM runtime of a process (SPEC §1.1): it owns the provider registry and every
 * connection pool, serves every `ask`, and is closed only by `close()`, which first aborts the
 * attempts in flight and then destroys the pools. Runs borrow it; nothing a call does closes it.
 */
import { RunCancelledError, RuntimeClosedError } from "../errors.js";
import { ask, type AskContext, type AskDeps, type AskRequest } from "./ask.js";
import { BUILTIN_LLM_SETTINGS, parseLlmSettings, readLlmConfig, type LlmCallSettings, type LlmConfig } from "./llm-config.js";
import { ProviderRegistry } from "./registry.js";
import type { AttemptDeadlines } from "./transport/attempt-deadlines.js";
import { DispatcherPool } from "./transport/dispatchers.js";

export interface LlmRuntimeOptions {
  /** The whole flockflow config (its `provider`, `default_models`, `workflow` sections are read). */
  config?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  /** The config file's path, for error messages. */
  configSource?: string;
}

export class LlmRuntime {
  readonly registry: ProviderRegistry;
  readonly config: LlmConfig;
  readonly #dispatchers: DispatcherPool;
  readonly #inFlight = new Set<AttemptDeadlines>();
  /** What `ask` needs of the runtime; built once, not per call. */
  readonly #deps: AskDeps;
  #closed = false;

  constructor(options: LlmRuntimeOptions = {}) {
    const env = options.env ?? process.env;
    this.config = readLlmConfig(options.config ?? {}, env, options.configSource);
    this.registry = new ProviderRegistry(this.config);
    this.#dispatchers = new DispatcherPool(env);
    this.#deps = {
      registry: this.registry,
      dispatcherFor: (options) => this.#dispatchers.get(options),
      track: (deadlines) => {
        this.#inFlight.add(deadlines);
        return () => this.#inFlight.delete(deadlines);
      },
    };
  }

  /** Built-in defaults ← config `workflow.llm` (frozen; the config cannot change). */
  get baseSettings(): LlmCallSettings {
    return (this.#baseSettings ??= Object.freeze({ ...BUILTIN_LLM_SETTINGS, ...this.config.workflowDefaults }));
  }
  #baseSettings: LlmCallSettings | undefined;

  /** A workflow's `metadata.llm`, parsed (errors name `metadata.llm.<key>`). */
  workflowSettings(metadataLlm: unknown, source?: string): Partial<LlmCallSettings> {
    return parseLlmSettings(metadataLlm, "metadata.llm", source);
  }

  /** Attempts in flight right now (for tests and diagnostics). */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  ask(request: AskRequest, ctx: AskContext): Promise<string> {
    if (this.#closed) return Promise.reject(new RuntimeClosedError());
    return ask(this.#deps, request, request.baseSettings ?? this.baseSettings, ctx);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const reason = new RunCancelledError("<runtime closing>");
    for (const deadlines of this.#inFlight) deadlines.abort(reason);
    this.#inFlight.clear();
    await this.#dispatchers.closeAll();
  }
}

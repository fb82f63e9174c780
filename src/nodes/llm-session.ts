/**
 * One run's view of the LLM runtime: the run's concurrency budget (SPEC §5: shared by parallel nodes
 * and by concurrent calls inside a node, sub-workflows included), its settings layers (built-in ←
 * config `workflow.llm` ← `metadata.llm`, then the call's own arguments), and its events. Nodes call
 * `ask` with their own signal and deadline, so a node that is stopped aborts its requests.
 */
import { InvalidOptionError, NodeUnavailableError } from "../errors.js";
import { ConcurrencyBudget } from "../llm/concurrency-budget.js";
import type { LlmEvent } from "../llm/ask.js";
import type { LlmCallSettings } from "../llm/llm-config.js";
import { parseLlmSettings } from "../llm/llm-config.js";
import type { LlmRuntime } from "../llm/llm-runtime.js";
import { isPlainObject } from "../model/get-path.js";

/** What a node passes for one call: Flocks' `llm.ask` keyword names, as code nodes send them. */
export interface LlmCallOptions {
  model?: unknown;
  provider_id?: unknown;
  temperature?: unknown;
  timeout_s?: unknown;
  ttft_timeout_s?: unknown;
  idle_timeout_s?: unknown;
  max_retries?: unknown;
  retry_delay_s?: unknown;
}

export interface LlmCallContext {
  nodeId: string;
  signal: AbortSignal;
  deadlineAt: number | undefined;
}

export type LlmEventSink = (nodeId: string, event: LlmEvent) => void;

/**
 * A run-level override (SPEC §1.2): calls of the run use these unless the call names its own model
 * or provider. The key, URL and proxy policy produce a derived provider view for each call; the
 * registry is never written.
 */
export interface RunLlmOverrides {
  model?: string;
  providerId?: string;
  apiKey?: string;
  baseUrl?: string;
  trustEnv?: boolean;
}
export type { LlmEvent };
export type { ConcurrencyBudget };

export class LlmSession {
  readonly #runtime: LlmRuntime | undefined;
  readonly #base: LlmCallSettings | undefined;
  readonly #workflow: Partial<LlmCallSettings>;
  readonly #budget: ConcurrencyBudget;
  readonly #emit: LlmEventSink | undefined;
  readonly #overrides: RunLlmOverrides;

  /** `budget`: a parent run's budget, for a sub-workflow run; else the run gets its own. */
  constructor(
    runtime: LlmRuntime | undefined,
    workflowSettings: Partial<LlmCallSettings>,
    emit: LlmEventSink | undefined,
    budget?: ConcurrencyBudget,
    overrides: RunLlmOverrides = {},
  ) {
    this.#runtime = runtime;
    this.#overrides = overrides;
    this.#base = runtime?.baseSettings;
    this.#workflow = workflowSettings;
    this.#budget = budget ?? new ConcurrencyBudget(workflowSettings.concurrency ?? this.#base?.concurrency ?? 8);
    this.#emit = emit;
  }

  /** A run's session: settings from the workflow's `metadata.llm` (errors name the key). */
  static forWorkflow(
    runtime: LlmRuntime | undefined,
    metadataLlm: unknown,
    source: string | undefined,
    emit: LlmEventSink | undefined,
    budget?: ConcurrencyBudget,
    overrides?: RunLlmOverrides,
  ): LlmSession {
    return new LlmSession(runtime, parseLlmSettings(metadataLlm, "metadata.llm", source), emit, budget, overrides);
  }

  get budget(): ConcurrencyBudget {
    return this.#budget;
  }

  ask(prompt: string, options: LlmCallOptions, ctx: LlmCallContext): Promise<string> {
    if (!this.#runtime || !this.#base) return Promise.reject(new NodeUnavailableError("llm.ask needs an LLM runtime; this runtime was created without one"));
    let call: Partial<LlmCallSettings>;
    try {
      call = parseCallOptions(options);
    } catch (error) {
      return Promise.reject(error);
    }
    const emit = this.#emit;
    const run = this.#overrides;
    const callNamesTarget = typeof options.model === "string" || typeof options.provider_id === "string";
    return this.#runtime.ask(
      {
        prompt,
        model: callNamesTarget ? (typeof options.model === "string" ? options.model : undefined) : run.model,
        providerId: callNamesTarget ? (typeof options.provider_id === "string" ? options.provider_id : undefined) : run.providerId,
        apiKey: run.apiKey,
        baseUrl: run.baseUrl,
        trustEnv: run.trustEnv,
        baseSettings: this.#base,
        overrideSettings: { ...this.#workflow, ...call },
      },
      {
        signal: ctx.signal,
        budget: this.#budget,
        deadlineAt: ctx.deadlineAt,
        onEvent: emit ? (event) => emit(ctx.nodeId, event) : undefined,
      },
    );
  }
}

function parseCallOptions(options: LlmCallOptions): Partial<LlmCallSettings> {
  if (!isPlainObject(options)) throw new InvalidOptionError("llm.ask options must be an object");
  for (const key of ["model", "provider_id"] as const) {
    const v = options[key];
    if (v !== undefined && v !== null && typeof v !== "string") throw new InvalidOptionError(`llm.ask: ${key} must be a string`);
  }
  const settings: Record<string, unknown> = {};
  for (const key of ["temperature", "timeout_s", "ttft_timeout_s", "idle_timeout_s", "max_retries", "retry_delay_s"] as const) {
    if (options[key] !== undefined && options[key] !== null) settings[key] = options[key];
  }
  try {
    return parseLlmSettings(settings, "llm.ask");
  } catch (error) {
    throw new InvalidOptionError((error as Error).message);
  }
}

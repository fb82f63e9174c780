/**
 * The `ask` contract (SPEC §5; reference flocks-llm.md §1.3–1.6): resolve candidates (requested,
 * then default), preflight each (provider exists, configured, model listed), run up to
 * `max_retries + 1` attempts, fall back to the next candidate, and when all fail throw one
 * LlmAskError listing every candidate's failure.
 *
 * Cancellation (SPEC §1.4) is checked first in every catch: a RunCancelledError — or whatever
 * reason the caller's signal aborted with, such as a node deadline — is rethrown untouched. It is
 * never retried, never recorded as a candidate failure, never followed by a fallback (peers.md #18).
 * Policy (retries, fallback, budget) wraps the attempt; the attempt itself knows none of it.
 */
import { LlmAskError, LlmNotConfiguredError, type LlmCandidateFailure } from "../errors.js";
import type { Dispatcher } from "undici";
import { MAX_TIMER_MS, abortableDelay } from "./abortable-delay.js";
import type { ConcurrencyBudget } from "./concurrency-budget.js";
import type { LlmCallSettings, LlmTarget } from "./llm-config.js";
import type { ProviderRegistry, ProviderView } from "./registry.js";
import { resolveTargets } from "./resolve-targets.js";
import { backoffMs, isRetryable, retryReason } from "./retry-policy.js";
import { AttemptDeadlines } from "./transport/attempt-deadlines.js";
import type { TransportOptions } from "./transport/dispatchers.js";
import { sendAttempt } from "./transport/send-attempt.js";

export type LlmEvent =
  | { type: "llm.request"; provider: string; model: string; attempt: number }
  | { type: "llm.retry"; provider: string; model: string; attempt: number; reason: string; waitMs: number; error: string }
  | { type: "llm.fallback"; provider: string; model: string; error: string; to: string }
  | { type: "llm.token"; provider: string; model: string; text: string };

export interface AskRequest {
  prompt: string;
  model?: string | undefined;
  providerId?: string | undefined;
  /** Per-call provider overrides; they produce a derived view, never a registry write. */
  apiKey?: string | undefined;
  baseUrl?: string | undefined;
  trustEnv?: boolean | undefined;
  /** Settings below the provider's own (builtin ← config `workflow.llm`); default: the runtime's. */
  baseSettings?: LlmCallSettings;
  /** Settings above the provider's own (`metadata.llm` ← call arguments). */
  overrideSettings: Partial<LlmCallSettings>;
}

export interface AskContext {
  signal: AbortSignal;
  budget?: ConcurrencyBudget | undefined;
  /** `performance.now()` time by which the caller must be done (node or run deadline). */
  deadlineAt?: number | undefined;
  onEvent?: ((event: LlmEvent) => void) | undefined;
}

export interface AskDeps {
  registry: ProviderRegistry;
  dispatcherFor(options: TransportOptions): Dispatcher;
  /** Registers an attempt so that closing the runtime can abort it; returns the unregister function. */
  track(deadlines: AttemptDeadlines): () => void;
}

/** `baseSettings`: the request's own, or the runtime's when it names none. */
export async function ask(deps: AskDeps, request: AskRequest, baseSettings: LlmCallSettings, ctx: AskContext): Promise<string> {
  const { signal } = ctx;
  if (signal.aborted) throw signal.reason;
  const { candidates, requested } = resolveTargets(deps.registry, { model: request.model, providerId: request.providerId });
  if (candidates.length === 0) {
    throw new LlmNotConfiguredError(
      "No LLM configured: set default_models.llm in the config (or OPENAI_API_KEY / OPENAI_BASE_URL), or name a model in the node or the llm.ask call",
    );
  }
  const failures: LlmCandidateFailure[] = [];
  for (const [index, target] of candidates.entries()) {
    if (signal.aborted) throw signal.reason;
    const next = candidates[index + 1];
    // Proxy policy, most specific first: the call's or run's override, then `metadata.llm`, then
    // config `workflow.llm` (Flocks applies an explicit `trust_env` there to every workflow call).
    const trustEnv = request.trustEnv ?? request.overrideSettings.trustEnv ?? baseSettings.trustEnv;
    const view = deps.registry.view(target.providerId, { apiKey: request.apiKey, baseUrl: request.baseUrl, trustEnv });
    const problem = preflight(target, view);
    if (problem !== undefined) {
      failures.push({ provider: target.providerId, model: target.modelId, phase: "preflight", message: problem });
      continue;
    }
    try {
      return await attemptCandidate(deps, request, baseSettings, ctx, target, view!);
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      const message = error instanceof Error ? error.message : String(error);
      failures.push({ provider: target.providerId, model: target.modelId, phase: "request", message });
      if (next) ctx.onEvent?.({ type: "llm.fallback", provider: target.providerId, model: target.modelId, error: message, to: `${next.providerId}/${next.modelId}` });
    }
  }
  throw new LlmAskError(failures, requested);
}

/** Why a candidate cannot be tried without sending anything, or undefined when it can. */
function preflight(target: LlmTarget, view: ProviderView | undefined): string | undefined {
  if (!view) return `provider '${target.providerId}' does not exist`;
  if (view.requiresApiKey && !view.apiKey) return `provider '${target.providerId}' is not configured (no API key)`;
  if (view.models.size > 0 && !view.models.has(target.modelId)) return `model '${target.modelId}' is not listed for provider '${target.providerId}'`;
  return undefined;
}

async function attemptCandidate(deps: AskDeps, request: AskRequest, baseSettings: LlmCallSettings, ctx: AskContext, target: LlmTarget, view: ProviderView): Promise<string> {
  const settings: LlmCallSettings = { ...baseSettings, ...view.defaults, ...request.overrideSettings };
  const adapter = deps.registry.adapterFor(view);
  const dispatcher = deps.dispatcherFor(view);
  const chat = { model: target.modelId, prompt: request.prompt + settings.promptSuffix, temperature: settings.temperature, stream: view.stream };
  const attempts = settings.maxRetries + 1;
  const onEvent = ctx.onEvent;
  const onToken = onEvent ? (text: string) => onEvent({ type: "llm.token", provider: view.id, model: target.modelId, text }) : undefined;
  for (let attempt = 1; ; attempt++) {
    let waitMs = 0;
    const release = ctx.budget ? await ctx.budget.acquire(ctx.signal) : undefined;
    const deadlines = new AttemptDeadlines(
      // TTFT and idle deadlines watch a stream; a plain request only has its total deadline.
      { totalMs: settings.timeoutMs, ttftMs: chat.stream ? settings.ttftTimeoutMs : 0, idleMs: chat.stream ? settings.idleTimeoutMs : 0 },
      ctx.signal,
    );
    const untrack = deps.track(deadlines);
    try {
      onEvent?.({ type: "llm.request", provider: view.id, model: target.modelId, attempt });
      const result = await sendAttempt({ dispatcher, provider: view, adapter, chat, deadlines, onToken });
      return result.text;
    } catch (error) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      if (attempt >= attempts || !isRetryable(error)) throw error;
      waitMs = backoffMs(attempt + 1, settings.retryDelayMs, error);
      // A retry whose wait does not fit in the node's or run's remaining time is not attempted.
      if (ctx.deadlineAt !== undefined && performance.now() + waitMs >= ctx.deadlineAt) throw error;
      // A wait no timer can hold (a Retry-After of weeks) does not fit either.
      if (waitMs > MAX_TIMER_MS) throw error;
      onEvent?.({ type: "llm.retry", provider: view.id, model: target.modelId, attempt: attempt + 1, reason: retryReason(error), waitMs, error: (error as Error).message });
    } finally {
      untrack();
      deadlines.dispose();
      // Released before the backoff: a sleeping retry holds no slot of the run's budget.
      release?.();
    }
    await abortableDelay(waitMs, ctx.signal);
  }
}

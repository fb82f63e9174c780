/**
 * The superstep loop (SPEC §3; reference flocks-engine.md §2.3). Hot path: one iteration per batch.
 *
 * Each iteration drains the whole FIFO queue into one batch (joins buffered, full-history dedup
 * applied), runs the batch with at most `maxParallel` nodes at once, then records the outcomes in
 * batch order and enqueues successors. Recording in batch order, whatever finished first, is what
 * makes results deterministic.
 *
 * Deadlines: every node gets its own AbortController, aborted by its own deadline (measured from its
 * own start) or by the run scope (cancel or run deadline). Executors settle promptly after an abort
 * with their work stopped, so a run that says `cancelled` or `timed_out` has nothing left running.
 *
 * Policy lives outside the loop: events are emitted only when someone listens, `branch`/`loop`
 * nodes take a path with no timer, controller or copy.
 */
import {
  MaxStepsExceededError,
  PendingJoinError,
  SubworkflowError,
  TimeoutError,
  errorTypeOf,
  formatSeconds,
  isCancellation,
  CodeError,
} from "../errors.js";
import { DEFAULT_NODE_TIMEOUT_MS } from "../model/metadata.js";
import type { Workflow, WorkflowNode } from "../model/types.js";
import { EXECUTORS, LlmSession, createHostCallHandler, type ChildRunResult, type LlmCallOptions, type LlmEvent, type NodeContext, type NodeServices } from "../nodes/index.js";
import { DedupFilter } from "./dedup.js";
import { JoinBuffers } from "./join-buffer.js";
import { planFor, type Plan } from "./plan.js";
import { routesAfter } from "./routing.js";
import { RunScope } from "./run-scope.js";
import { summarize } from "./summarize.js";
import { isoTime } from "./iso-time.js";
import type { ChildRunLink, EngineRunOptions, RunEvent, RunResult, RunStatus, StepRecord, StepStatus } from "./types.js";

export interface EngineDeps {
  services: NodeServices;
  /** Finds a sub-workflow by id for a parent workflow (SPEC §2 lookup order). */
  resolveSubworkflow(workflowId: string, parent: Workflow): Promise<Workflow>;
}

interface QueueItem {
  nodeId: string;
  payload: Record<string, unknown>;
  source: string | null;
}

interface BatchItem {
  node: WorkflowNode;
  payload: Record<string, unknown>;
  /** A failure found while draining (join conflict): recorded as this node's step, not executed. */
  presetError?: unknown;
}

/** Why a node stopped early, when it did. */
type StopKind = "node_deadline" | "run_deadline" | "cancel";

interface Outcome {
  status: StepStatus;
  outputs: Record<string, unknown>;
  error: unknown;
  stdout: string;
  startedAt: number;
  durationMs: number;
  stopKind: StopKind | undefined;
}

/** Node types whose executor hands the payload to a worker as JSON, which is a copy already. */
const SERIALISES_INPUTS: ReadonlySet<string> = new Set(["javascript", "python", "logic"]);

const EMPTY: Record<string, never> = Object.freeze({}) as Record<string, never>;

export function runWorkflow(workflow: Workflow, options: EngineRunOptions, deps: EngineDeps, link?: ChildRunLink): Promise<RunResult> {
  return new WorkflowRun(workflow, options, deps, link).execute();
}

/** A top-level run that its owner can also cancel directly (what `options.signal` does, without a controller). */
export interface RunHandle {
  result: Promise<RunResult>;
  /** Cancels the run (as an abort of `options.signal` would); harmless once it has finished. */
  cancel(): void;
}

export function startWorkflowRun(workflow: Workflow, options: EngineRunOptions, deps: EngineDeps): RunHandle {
  const run = new WorkflowRun(workflow, options, deps);
  return { result: run.execute(), cancel: () => run.cancel() };
}

class WorkflowRun {
  readonly #plan: Plan;
  readonly #options: EngineRunOptions;
  readonly #deps: EngineDeps;
  readonly #scope: RunScope;
  readonly #joins = new JoinBuffers();
  readonly #dedup: DedupFilter | undefined;
  readonly #history: StepRecord[] = [];
  readonly #emit: ((event: RunEvent) => void) | undefined;
  readonly #link: ChildRunLink | undefined;
  #llm: LlmSession | undefined;
  #lastNodeId: string | null = null;
  #lastOutputs: Record<string, unknown> = {};

  constructor(workflow: Workflow, options: EngineRunOptions, deps: EngineDeps, link?: ChildRunLink) {
    this.#link = link;
    this.#plan = planFor(workflow);
    this.#options = options;
    this.#deps = deps;
    // A sub-workflow's signal is its parent node's: a parent deadline reaching it stays a timeout.
    this.#scope = new RunScope(options.runId, { external: options.signal, inheritsDeadlines: link !== undefined, runTimeoutMs: options.runTimeoutMs });
    this.#dedup = options.historyMode === "full" ? new DedupFilter() : undefined;
    this.#emit = options.onEvent;
  }

  cancel(): void {
    this.#scope.cancel();
  }

  async execute(): Promise<RunResult> {
    const startedAt = performance.now();
    const runId = this.#options.runId;
    this.#emit?.({ type: "run.started", runId, workflow: this.#plan.workflow.name ?? null, ts: Date.now() });
    let status: RunStatus = "succeeded";
    let error: string | null = null;
    try {
      this.#llm = this.#createLlmSession();
      ({ status, error } = await this.#loop());
    } catch (setupError) {
      ({ status, error } = runFailure(setupError as Error));
    } finally {
      this.#scope.dispose();
    }
    const result: RunResult = {
      status,
      runId,
      steps: this.#history.length,
      lastNodeId: this.#lastNodeId,
      outputs: this.#lastOutputs,
      error,
      history: this.#history,
    };
    this.#emit?.({ type: "run.finished", runId, status, steps: result.steps, durationMs: performance.now() - startedAt, error, ts: Date.now() });
    return result;
  }

  async #loop(): Promise<{ status: RunStatus; error: string | null }> {
    const { maxSteps, stopOnError } = this.#options;
    let queue: QueueItem[] = [{ nodeId: this.#plan.workflow.start, payload: this.#options.inputs, source: null }];
    while (queue.length > 0) {
      if (this.#scope.stopped) return this.#stoppedStatus();
      if (this.#history.length >= maxSteps) return runFailure(new MaxStepsExceededError(maxSteps));

      const drained = queue;
      queue = [];
      const batch = this.#drain(drained);
      if (batch.length === 0) continue;

      const outcomes = batch.length === 1 ? [await this.#runItem(batch[0]!)] : await this.#runBatch(batch);

      let stopError: string | null = null;
      for (let i = 0; i < batch.length; i++) {
        const item = batch[i]!;
        const outcome = outcomes[i]!;
        this.#record(item, outcome);
        if (stopError !== null || outcome.stopKind === "cancel" || outcome.stopKind === "run_deadline") continue;
        const fatal =
          (outcome.status === "failed" && stopOnError) ||
          (outcome.stopKind === "node_deadline" && this.#plan.onNodeTimeout === "fail");
        if (fatal) {
          stopError = nodeErrorText(item.node.id, outcome.error);
          continue;
        }
        // Failed (stop_on_error off) and timed-out nodes still fan out with outputs {} (Flocks).
        const routes = routesAfter(item.node, this.#plan.outgoing.get(item.node.id)!, item.payload, outcome.outputs, this.#plan.dataflowMode);
        for (const route of routes) queue.push({ nodeId: route.edge.to, payload: route.payload, source: item.node.id });
      }
      if (this.#scope.stopped) return this.#stoppedStatus();
      if (stopError !== null) return { status: "failed", error: stopError };
    }
    if (this.#scope.stopped) return this.#stoppedStatus();
    const unfinished = this.#joins.unfinished((id) => this.#plan.joinSources.get(id) ?? []);
    if (unfinished.length > 0) {
      return runFailure(new PendingJoinError(`Join node(s) did not receive all incoming inputs: ${unfinished.join("; ")}`));
    }
    return { status: "succeeded", error: null };
  }

  /** The run's LLM session: its settings from `metadata.llm`, its budget shared with sub-workflows. */
  #createLlmSession(): LlmSession {
    const emit = this.#emit;
    const runId = this.#options.runId;
    const sink = emit ? (nodeId: string, event: LlmEvent) => emit(toRunEvent(runId, nodeId, event)) : undefined;
    const workflow = this.#plan.workflow;
    return LlmSession.forWorkflow(this.#deps.services.llm, workflow.metadata.llm, workflow.sourcePath, sink, this.#link?.llmBudget, this.#options.llm);
  }

  #stoppedStatus(): { status: RunStatus; error: string } {
    const reason = this.#scope.reason;
    return { status: isCancellation(reason) ? "cancelled" : "timed_out", error: runErrorText(reason) };
  }

  #drain(items: QueueItem[]): BatchItem[] {
    const batch: BatchItem[] = [];
    for (const item of items) {
      const node = this.#plan.nodes.get(item.nodeId)!;
      let payload = item.payload;
      const expected = node.join ? this.#plan.joinSources.get(node.id)! : undefined;
      if (expected !== undefined && expected.length > 0) {
        let merged: Record<string, unknown> | undefined;
        try {
          merged = this.#joins.arrive(node, expected, item.source, payload);
        } catch (error) {
          batch.push({ node, payload, presetError: error });
          continue;
        }
        if (merged === undefined) continue;
        payload = merged;
      }
      if (this.#dedup?.isDuplicate(node.id, payload)) continue;
      batch.push({ node, payload });
    }
    return batch;
  }

  /** Runs the batch with at most maxParallel nodes in flight; never rejects. */
  async #runBatch(batch: BatchItem[]): Promise<Outcome[]> {
    const outcomes: Outcome[] = new Array(batch.length);
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < batch.length) {
        const index = next++;
        outcomes[index] = this.#scope.stopped ? this.#notStarted() : await this.#runItem(batch[index]!);
      }
    };
    const lanes: Promise<void>[] = [];
    for (let i = 0; i < Math.min(this.#options.maxParallel, batch.length); i++) lanes.push(lane());
    await Promise.all(lanes);
    return outcomes;
  }

  #notStarted(): Outcome {
    const stopKind: StopKind = isCancellation(this.#scope.reason) ? "cancel" : "run_deadline";
    return {
      status: stopKind === "cancel" ? "cancelled" : "timed_out",
      outputs: {},
      error: this.#scope.reason,
      stdout: "",
      startedAt: Date.now(),
      durationMs: 0,
      stopKind,
    };
  }

  async #runItem(item: BatchItem): Promise<Outcome> {
    const { node } = item;
    if (this.#scope.stopped) return this.#notStarted();
    const startedAt = Date.now();
    const t0 = performance.now();
    this.#emit?.({ type: "node.started", runId: this.#options.runId, nodeId: node.id, nodeType: node.type, ts: startedAt });

    if (item.presetError !== undefined) {
      return { status: "failed", outputs: {}, error: item.presetError, stdout: "", startedAt, durationMs: 0, stopKind: undefined };
    }
    if (node.type === "branch" || node.type === "loop") {
      return { status: "succeeded", outputs: {}, error: null, stdout: "", startedAt, durationMs: performance.now() - t0, stopKind: undefined };
    }

    const controller = new AbortController();
    // Aborted by the run scope itself when the run stops (no listener on the run signal per node).
    const unlink = this.#scope.linkNode(controller);
    const timeoutMs = this.#nodeTimeoutMs(node);
    let deadlineFired = false;
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            deadlineFired = true;
            controller.abort(new TimeoutError("node", timeoutMs, `Node '${node.id}' timed out after ${formatSeconds(timeoutMs)}s`));
          }, timeoutMs)
        : undefined;
    try {
      const nodeDeadline = timeoutMs > 0 ? t0 + timeoutMs : undefined;
      const runDeadline = this.#scope.deadlineAt;
      const deadlineAt = nodeDeadline === undefined ? runDeadline : runDeadline === undefined ? nodeDeadline : Math.min(nodeDeadline, runDeadline);
      const result = await EXECUTORS[node.type](this.#context(node, item.payload, controller.signal, deadlineAt));
      return { status: "succeeded", outputs: result.outputs, error: null, stdout: result.stdout ?? "", startedAt, durationMs: performance.now() - t0, stopKind: undefined };
    } catch (error) {
      const durationMs = performance.now() - t0;
      const stdout = error instanceof CodeError ? error.stdout : "";
      if (controller.signal.aborted) {
        const reason = controller.signal.reason as unknown;
        const stopKind: StopKind = deadlineFired ? "node_deadline" : isCancellation(reason) ? "cancel" : "run_deadline";
        return { status: stopKind === "cancel" ? "cancelled" : "timed_out", outputs: {}, error: reason, stdout, startedAt, durationMs, stopKind };
      }
      return { status: "failed", outputs: {}, error, stdout, startedAt, durationMs, stopKind: undefined };
    } finally {
      if (timer) clearTimeout(timer);
      unlink();
    }
  }

  /** node `timeout_s`, else the run option, else `metadata.node_timeout_s`, else 300 s; 0 = none. */
  #nodeTimeoutMs(node: WorkflowNode): number {
    if (node.timeoutMs !== undefined) return node.timeoutMs;
    if (this.#options.nodeTimeoutMs !== undefined) return this.#options.nodeTimeoutMs;
    return this.#plan.metadataNodeTimeoutMs ?? DEFAULT_NODE_TIMEOUT_MS;
  }

  #context(node: WorkflowNode, payload: Record<string, unknown>, signal: AbortSignal, deadlineAt: number | undefined): NodeContext {
    const runId = this.#options.runId;
    const services = this.#deps.services;
    const session = this.#llm!;
    const askLlm = (prompt: string, options: LlmCallOptions, callSignal?: AbortSignal): Promise<string> =>
      session.ask(prompt, options, { nodeId: node.id, signal: callSignal ?? signal, deadlineAt });
    return {
      runId,
      node,
      workflow: this.#plan.workflow,
      // Code nodes get their copy when the payload is serialised for their worker.
      inputs: SERIALISES_INPUTS.has(node.type) ? payload : deepCopy(payload),
      signal,
      services,
      llm: askLlm,
      hostCalls: createHostCallHandler(services.tools, runId, node.id, askLlm),
      runChild: (workflowId, inputs, childSignal) => this.#runChild(node, workflowId, inputs, childSignal),
    };
  }

  async #runChild(node: WorkflowNode, workflowId: string, inputs: Record<string, unknown>, signal: AbortSignal): Promise<ChildRunResult> {
    if (this.#options.depth >= 1) {
      throw new SubworkflowError(`Sub-workflow '${workflowId}' cannot run inside a sub-workflow (nesting depth is limited to 1)`);
    }
    const child = await this.#deps.resolveSubworkflow(workflowId, this.#plan.workflow);
    if (signal.aborted) throw signal.reason;
    const result = await runWorkflow(
      child,
      {
        ...this.#options,
        runId: `${this.#options.runId}/${node.id}`,
        inputs,
        // The remaining run budget reaches the child through `signal` (the node signal aborts with
        // the run's TimeoutError); a second timer for the same deadline could fire first and turn
        // a run timeout into a failed node.
        signal,
        runTimeoutMs: undefined,
        // The child uses its own metadata for node timeouts (SPEC §3 "Fixed").
        nodeTimeoutMs: undefined,
        onEvent: undefined,
        onStep: undefined,
        depth: this.#options.depth + 1,
      },
      this.#deps,
      { llmBudget: this.#llm!.budget },
    );
    return { status: result.status, outputs: result.outputs, error: result.error };
  }

  #record(item: BatchItem, outcome: Outcome): void {
    const { node } = item;
    const summary = this.#options.historyMode === "summary";
    const failed = outcome.status !== "succeeded";
    const error = failed ? outcome.error : null;
    const step: StepRecord = {
      nodeId: node.id,
      nodeType: node.type,
      status: outcome.status,
      startedAt: isoTime(outcome.startedAt),
      durationMs: outcome.durationMs,
      inputs: summary ? summarize(item.payload) : item.payload,
      outputs: summary ? summarize(outcome.outputs) : outcome.outputs,
      error: failed ? errorMessage(error) : null,
      errorType: failed ? errorTypeOf(error) : null,
      traceback: error instanceof CodeError && error.traceback !== "" ? error.traceback : null,
      stdout: outcome.stdout,
    };
    this.#history.push(step);
    this.#lastNodeId = node.id;
    this.#lastOutputs = outcome.outputs;
    this.#emit?.({
      type: "node.finished",
      runId: this.#options.runId,
      nodeId: node.id,
      nodeType: node.type,
      status: outcome.status,
      durationMs: outcome.durationMs,
      error: step.error,
      ts: Date.now(),
    });
    this.#options.onStep?.(step);
  }
}

/** LLM runtime events as run events (SPEC §3); a fallback is reported as a retry on the next candidate. */
function toRunEvent(runId: string, nodeId: string, event: LlmEvent): RunEvent {
  const ts = Date.now();
  switch (event.type) {
    case "llm.fallback":
      return { type: "llm.retry", runId, nodeId, ts, provider: event.provider, model: event.model, reason: "fallback", fallback: true, to: event.to, error: event.error };
    default:
      return { ...event, runId, nodeId, ts };
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** SPEC §4: a node failure reads `"<node id>: <errorType>: <message>"`. */
function nodeErrorText(nodeId: string, error: unknown): string {
  return `${nodeId}: ${errorTypeOf(error)}: ${errorMessage(error)}`;
}

function runErrorText(error: unknown): string {
  return `${errorTypeOf(error)}: ${errorMessage(error)}`;
}

function runFailure(error: Error): { status: RunStatus; error: string } {
  return { status: "failed", error: runErrorText(error) };
}

/** Every node gets its own copy of its payload (SPEC §3 "Fixed"). */
function deepCopy(payload: Record<string, unknown>): Record<string, unknown> {
  if (payload === EMPTY) return {};
  try {
    return structuredClone(payload);
  } catch {
    return JSON.parse(JSON.stringify(payload)) as Record<string, unknown>;
  }
}

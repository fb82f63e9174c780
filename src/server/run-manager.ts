/**
 * Every run the service starts goes through here: API runs, `wait: true`, `/invoke` and trigger
 * runs alike (reference §8: "all paths share the create/record helpers").
 *
 * Order of writes, and why:
 * 1. the run row, before `start()` returns, so the caller can answer 202 with an id that exists;
 * 2. a step row when its `node.finished` arrives, committed before the engine goes on, so a crash
 *    loses no finished step (SPEC §7);
 * 3. the final record once `runtime.run` has resolved, which is after the run's work has stopped
 *    (SPEC §1.6): a cancelled run is recorded `cancelled` only then.
 *
 * Events are numbered from 1 (`seq`) as they are emitted and batched: they are written in the
 * transaction of the next step or of the final record, or after 50 ms, whichever comes first (and
 * at once when an SSE subscriber needs the store to be complete). A run of a few nodes thus costs a
 * few commits, not one per event and token.
 *
 * Live subscribers (SSE) get each event after it is stored. `run.finished` is held back until the
 * final record is written, so whoever sees it can read the finished run at once.
 */
import { randomUUID } from "node:crypto";
import { RunCancelledError, describeError, isCancellation } from "../errors.js";
import type { RunEvent, RunResult, RunStatus, StepRecord } from "../engine/types.js";
import type { Workflow } from "../model/types.js";
import type { Runtime } from "../runtime/create-runtime.js";
import type { RunStore } from "../store/index.js";

/** Longest an event waits in memory before it is written on its own. */
const EVENT_FLUSH_MS = 50;

export interface StartRunRequest {
  workflowId: string;
  /** Prepared (validated and linted) by the caller. */
  workflow: Workflow;
  releaseId: string | null;
  inputs: Record<string, unknown>;
  trigger: Record<string, unknown> | null;
  timeoutS?: number;
  nodeTimeoutS?: number;
}

/** What a finished run's waiter gets: the full outputs (the store keeps compacted ones). */
export interface FinishedRun {
  runId: string;
  status: RunStatus;
  outputs: Record<string, unknown>;
  error: string | null;
  durationMs: number;
}

export interface SequencedEvent {
  seq: number;
  event: RunEvent;
}

export interface RunSubscriber {
  event(item: SequencedEvent): void;
  /** The run has finished (after its `run.finished` event) or the service is closing. */
  end(): void;
}

export class ServiceClosingError extends Error {
  constructor() {
    super("the service is shutting down");
    this.name = "ServiceClosingError";
  }
}

export class ActiveRun {
  readonly runId: string;
  readonly workflowId: string;
  readonly startedAtMs: number;
  readonly controller = new AbortController();
  readonly finished: Promise<FinishedRun>;
  #resolve!: (run: FinishedRun) => void;
  readonly #subscribers = new Set<RunSubscriber>();
  #done = false;

  constructor(runId: string, workflowId: string, startedAtMs: number) {
    this.runId = runId;
    this.workflowId = workflowId;
    this.startedAtMs = startedAtMs;
    this.finished = new Promise((resolve) => (this.#resolve = resolve));
  }

  get done(): boolean {
    return this.#done;
  }

  /** Asks the run to stop; it is recorded `cancelled` once its work has stopped. */
  cancel(): void {
    if (!this.controller.signal.aborted) this.controller.abort(new RunCancelledError(this.runId));
  }

  subscribe(subscriber: RunSubscriber): () => void {
    if (this.#done) {
      subscriber.end();
      return () => {};
    }
    this.#subscribers.add(subscriber);
    return () => this.#subscribers.delete(subscriber);
  }

  publish(item: SequencedEvent): void {
    for (const subscriber of this.#subscribers) subscriber.event(item);
  }

  settle(run: FinishedRun): void {
    this.#done = true;
    for (const subscriber of this.#subscribers) subscriber.end();
    this.#subscribers.clear();
    this.#resolve(run);
  }
}

export interface RunManagerOptions {
  runtime: Runtime;
  store: RunStore;
  /** Problems that must not break a run (the store failing to write an event). */
  onError?: (error: unknown, context: string) => void;
}

export class RunManager {
  readonly #runtime: Runtime;
  readonly #store: RunStore;
  readonly #onError: (error: unknown, context: string) => void;
  readonly #active = new Map<string, ActiveRun>();
  readonly #flushers = new Map<string, () => void>();
  #accepting = true;

  constructor(options: RunManagerOptions) {
    this.#runtime = options.runtime;
    this.#store = options.store;
    this.#onError = options.onError ?? (() => {});
  }

  get accepting(): boolean {
    return this.#accepting;
  }

  get(runId: string): ActiveRun | undefined {
    return this.#active.get(runId);
  }

  active(): ActiveRun[] {
    return [...this.#active.values()];
  }

  activeFor(workflowId: string): ActiveRun[] {
    return this.active().filter((run) => run.workflowId === workflowId);
  }

  /** Writes the events still batched for `runId`, so a reader of the store sees all so far. */
  flushEvents(runId: string): void {
    this.#flushers.get(runId)?.();
  }

  /** Records the run and starts it; throws ServiceClosingError once shutdown has begun. */
  start(request: StartRunRequest): ActiveRun {
    if (!this.#accepting) throw new ServiceClosingError();
    const runId = randomUUID().replace(/-/g, "");
    const startedAtMs = Date.now();
    this.#store.createRun({
      runId,
      workflowId: request.workflowId,
      releaseId: request.releaseId,
      trigger: request.trigger,
      inputs: request.inputs,
      startedAtMs,
    });
    const run = new ActiveRun(runId, request.workflowId, startedAtMs);
    this.#active.set(runId, run);
    this.#execute(run, request);
    return run;
  }

  #execute(run: ActiveRun, request: StartRunRequest): void {
    const { runId } = run;
    const store = this.#store;
    let seq = 0;
    let stepIndex = 0;
    let heldFinish: SequencedEvent | undefined;
    /** node id → start times of its nodes in flight (a node can run twice in one batch). */
    /** Events not yet written: they go in with the next step, the final record, or the timer. */
    let pending: SequencedEvent[] = [];
    let flushTimer: NodeJS.Timeout | undefined;
    const takePending = (): SequencedEvent[] => {
      if (flushTimer) clearTimeout(flushTimer);
      flushTimer = undefined;
      const batch = pending;
      pending = [];
      return batch;
    };
    const flush = (): void => {
      const batch = takePending();
      if (batch.length > 0) this.#guard(() => store.appendEvents(runId, batch), "writing events");
    };
    this.#flushers.set(runId, flush);

    const onEvent = (event: RunEvent): void => {
      const item: SequencedEvent = { seq: ++seq, event };
      pending.push(item);
      switch (event.type) {
        case "node.started":
          flushTimer ??= setTimeout(flush, EVENT_FLUSH_MS).unref();
          break;
        case "node.finished":
          // The step row itself is written by onStep, with the full record, right after this.
          break;
        case "run.finished":
          // Written and published with the final record (see finish below).
          heldFinish = item;
          pending.pop();
          return;
        default:
          flushTimer ??= setTimeout(flush, EVENT_FLUSH_MS).unref();
      }
      run.publish(item);
    };

    const finish = (status: RunStatus, outputs: Record<string, unknown>, error: string | null, result?: RunResult): void => {
      this.#flushers.delete(runId);
      const finishedAtMs = Date.now();
      // When runtime.run failed before the engine started (a tools module that did not load),
      // there is no run.finished from the engine: the service makes one.
      heldFinish ??= {
        seq: ++seq,
        event: { type: "run.finished", runId, status, steps: 0, durationMs: finishedAtMs - run.startedAtMs, error, ts: finishedAtMs },
      };
      const events = [...takePending(), heldFinish];
      this.#guard(() => store.finishRun(runId, { status, finishedAtMs, outputs, error }, result?.history ?? [], events), "recording the finished run");
      this.#active.delete(runId);
      run.publish(heldFinish);
      run.settle({ runId, status, outputs, error, durationMs: finishedAtMs - run.startedAtMs });
    };

    this.#runtime
      .run(request.workflow, {
        runId,
        inputs: request.inputs,
        signal: run.controller.signal,
        timeoutS: request.timeoutS,
        nodeTimeoutS: request.nodeTimeoutS,
        onEvent,
        // Each finished step is committed (with the events before it) before the engine goes on,
        // so a crash loses no finished step (SPEC §7 "Run store").
        onStep: (record: StepRecord) => {
          const step = {
            index: stepIndex++,
            nodeId: record.nodeId,
            nodeType: record.nodeType,
            status: record.status,
            startedAtMs: Date.parse(record.startedAt),
            durationMs: record.durationMs,
            outputs: record.outputs,
            error: record.error,
            errorType: record.errorType,
            traceback: record.traceback,
            stdout: record.stdout,
          };
          this.#guard(() => store.appendStep(runId, step, takePending()), "writing a step");
        },
      })
      .then(
        (result) => finish(result.status, result.outputs, result.error, result),
        (error: unknown) => finish(isCancellation(error) ? "cancelled" : "failed", {}, describeError(error)),
      );
  }

  /**
   * Stops taking runs, gives the running ones `graceMs` to finish, cancels the rest and waits
   * until each has stopped its work and been recorded.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.#accepting = false;
    const running = this.active();
    if (running.length === 0) return;
    const all = Promise.all(running.map((run) => run.finished));
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, graceMs))));
    await Promise.race([all, graceOver]);
    clearTimeout(timer);
    for (const run of this.active()) run.cancel();
    await all;
  }

  #guard(write: () => void, context: string): void {
    try {
      write();
    } catch (error) {
      this.#onError(error, `run store: ${context}`);
    }
  }
}

/**
 * The run-level stop. It stops once, with RunCancelledError when the caller's signal aborts or
 * `cancel()` is called, or with a run TimeoutError when the run's wall-clock budget is spent. Every
 * node's controller is linked to it, so both pre-empt in-flight nodes at once (SPEC §3 "Fixed").
 *
 * The caller's signal and the run deadline stay distinct: the reason says which one fired.
 *
 * The scope aborts the linked node controllers itself, in the order they were linked, rather than
 * through a run-level AbortSignal the nodes listen on: nothing else needs such a signal, and a
 * sequential run would create one and add and remove a listener on it once per node (Node's
 * AbortSignal and EventTarget bookkeeping cost a few µs each time).
 */
import { RunCancelledError, TimeoutError, formatSeconds } from "../errors.js";

export interface RunScopeOptions {
  /** The caller's signal: its abort stops the run. */
  external?: AbortSignal;
  /**
   * A sub-workflow's scope, whose `external` is its parent node's signal: a parent deadline
   * reaching it (a run or node TimeoutError) stops it as a timeout. Otherwise any abort of
   * `external` is a cancel, whatever its reason.
   */
  inheritsDeadlines?: boolean;
  /** Wall-clock budget of the run; undefined or 0 = none. */
  runTimeoutMs?: number;
}

export class RunScope {
  readonly runId: string;
  readonly #external: AbortSignal | undefined;
  readonly #inheritsDeadlines: boolean;
  /** `performance.now()` time of the run deadline, if the run has one. */
  readonly deadlineAt: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #reason: unknown = undefined;
  /** Controllers of the nodes in flight, aborted with the run's reason when the run stops. */
  readonly #nodes = new Set<AbortController>();
  readonly #onExternalAbort = (): void => this.#abortFromExternal();

  constructor(runId: string, { external, inheritsDeadlines = false, runTimeoutMs }: RunScopeOptions = {}) {
    this.runId = runId;
    this.#external = external;
    this.#inheritsDeadlines = inheritsDeadlines;
    this.deadlineAt = runTimeoutMs !== undefined && runTimeoutMs > 0 ? performance.now() + runTimeoutMs : undefined;
    if (runTimeoutMs !== undefined && runTimeoutMs > 0) {
      // The error (and its stack) is built only if the deadline fires.
      this.#timer = setTimeout(
        () => this.#stop(new TimeoutError("run", runTimeoutMs, `Run timed out: run_id=${runId} timeout_s=${formatSeconds(runTimeoutMs)}`)),
        runTimeoutMs,
      );
    }
    if (external) {
      if (external.aborted) this.#abortFromExternal();
      else external.addEventListener("abort", this.#onExternalAbort, { once: true });
    }
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** Why the run stopped (RunCancelledError or TimeoutError); undefined while it has not. */
  get reason(): unknown {
    return this.#reason;
  }

  /**
   * A parent's deadline reaching a sub-workflow keeps its meaning (the child ends `timed_out`);
   * any other abort of the caller's signal is a cancel.
   */
  #abortFromExternal(): void {
    const reason = this.#external?.reason as unknown;
    if (this.#inheritsDeadlines && reason instanceof TimeoutError && (reason.kind === "run" || reason.kind === "node")) {
      this.#stop(reason);
    } else {
      this.cancel();
    }
  }

  cancel(): void {
    if (!this.#stopped) this.#stop(new RunCancelledError(this.runId));
  }

  /**
   * Links a node's controller to the run: it is aborted with the run's reason when the run stops
   * (at once if it already has). Returns the unlink function, to call when the node has finished.
   */
  linkNode(controller: AbortController): () => void {
    if (this.#stopped) {
      controller.abort(this.#reason);
      return noop;
    }
    this.#nodes.add(controller);
    return () => {
      this.#nodes.delete(controller);
    };
  }

  #stop(reason: unknown): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#reason = reason;
    const nodes = [...this.#nodes];
    this.#nodes.clear();
    for (const node of nodes) node.abort(reason);
  }

  dispose(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#external?.removeEventListener("abort", this.#onExternalAbort);
  }
}

const noop = (): void => {};

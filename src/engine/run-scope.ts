/**
 * The run-level stop signal. It aborts once, with RunCancelledError when the caller's signal
 * aborts, or with a run TimeoutError when the run's wall-clock budget is spent. Every node signal
 * derives from it, so both pre-empt in-flight nodes at once (SPEC §3 "Fixed").
 *
 * The caller's signal and the run deadline stay distinct: the reason says which one fired.
 */
import { RunCancelledError, TimeoutError, formatSeconds } from "../errors.js";

export class RunScope {
  readonly runId: string;
  readonly #controller = new AbortController();
  readonly #external: AbortSignal | undefined;
  /** `performance.now()` time of the run deadline, if the run has one. */
  readonly deadlineAt: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  readonly #onExternalAbort = (): void => this.#abortFromExternal();

  constructor(runId: string, external?: AbortSignal, runTimeoutMs?: number) {
    this.runId = runId;
    this.#external = external;
    this.deadlineAt = runTimeoutMs !== undefined && runTimeoutMs > 0 ? performance.now() + runTimeoutMs : undefined;
    if (runTimeoutMs !== undefined && runTimeoutMs > 0) {
      // The error (and its stack) is built only if the deadline fires.
      this.#timer = setTimeout(
        () => this.#controller.abort(new TimeoutError("run", runTimeoutMs, `Run timed out: run_id=${runId} timeout_s=${formatSeconds(runTimeoutMs)}`)),
        runTimeoutMs,
      );
    }
    if (external) {
      if (external.aborted) this.#abortFromExternal();
      else external.addEventListener("abort", this.#onExternalAbort, { once: true });
    }
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get stopped(): boolean {
    return this.#controller.signal.aborted;
  }

  /**
   * A parent's deadline reaching a sub-workflow keeps its meaning (the child ends `timed_out`);
   * any other abort of the caller's signal is a cancel.
   */
  #abortFromExternal(): void {
    const reason = this.#external?.reason as unknown;
    if (reason instanceof TimeoutError && (reason.kind === "run" || reason.kind === "node")) {
      if (!this.#controller.signal.aborted) this.#controller.abort(reason);
    } else {
      this.cancel();
    }
  }

  cancel(): void {
    if (!this.#controller.signal.aborted) this.#controller.abort(new RunCancelledError(this.runId));
  }

  dispose(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#external?.removeEventListener("abort", this.#onExternalAbort);
  }
}

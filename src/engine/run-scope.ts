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
  readonly #deadlineAt: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  readonly #onExternalAbort = (): void => this.cancel();

  constructor(runId: string, external?: AbortSignal, runTimeoutMs?: number) {
    this.runId = runId;
    this.#external = external;
    if (runTimeoutMs !== undefined && runTimeoutMs > 0) {
      this.#deadlineAt = performance.now() + runTimeoutMs;
      const reason = new TimeoutError("run", runTimeoutMs, `Run timed out: run_id=${runId} timeout_s=${formatSeconds(runTimeoutMs)}`);
      this.#timer = setTimeout(() => this.#controller.abort(reason), runTimeoutMs);
    }
    if (external) {
      if (external.aborted) this.cancel();
      else external.addEventListener("abort", this.#onExternalAbort, { once: true });
    }
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get stopped(): boolean {
    return this.#controller.signal.aborted;
  }

  cancel(): void {
    if (!this.#controller.signal.aborted) this.#controller.abort(new RunCancelledError(this.runId));
  }

  /** Milliseconds left of the run budget; undefined when the run has none. */
  remainingMs(): number | undefined {
    return this.#deadlineAt === undefined ? undefined : Math.max(0, this.#deadlineAt - performance.now());
  }

  dispose(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#external?.removeEventListener("abort", this.#onExternalAbort);
  }
}

/**
 * The pool of JavaScript code-node workers owned by a runtime (the pooling itself is
 * ../worker-pool.ts). Workers are unref'd while idle so they never keep a process alive.
 *
 * Idle workers are handed out last-in first-out: the worker that just finished is the one most
 * likely still spinning on its job doorbell (code-worker.js), so the next job starts without a
 * thread wake-up. The pool's spin slots allow one spinning worker fewer than there are cores, so
 * the host thread always keeps a core (and a one-core machine never spins).
 */
import { availableParallelism } from "node:os";
import { WorkerPool } from "../worker-pool.js";
import { JsWorker, type JsJob, type JsJobResult } from "./js-worker.js";

export interface JsWorkerPoolOptions {
  /** Most worker threads alive at once (default 8). */
  maxWorkers?: number;
  /** V8 old-generation limit per worker, in MB (default 256). */
  memoryLimitMb?: number;
  /**
   * How long an idle worker spins waiting for its next job before it sleeps, in ms (default 0.2,
   * enough to cover the engine's work between two nodes of a chain); 0 turns spinning off.
   */
  idleSpinMs?: number;
  /**
   * How long the host polls for a job's result from its event loop before it sleeps on it, in ms
   * (default 0.1, a small node's whole run); 0 turns polling off.
   */
  resultPollMs?: number;
}

const DEFAULT_IDLE_SPIN_MS = 0.2;
const DEFAULT_RESULT_POLL_MS = 0.1;

export class JsWorkerPool extends WorkerPool<JsJob, JsJobResult, JsWorker> {
  readonly memoryLimitMb: number;

  constructor(options: JsWorkerPoolOptions = {}) {
    const memoryLimitMb = options.memoryLimitMb ?? 256;
    // One spin slot fewer than there are cores: the host thread always keeps one.
    const spinSlots = new Int32Array(new SharedArrayBuffer(4 * Math.max(0, availableParallelism() - 1)));
    const spinMs = Math.max(0, options.idleSpinMs ?? DEFAULT_IDLE_SPIN_MS);
    const resultPollMs = Math.max(0, options.resultPollMs ?? DEFAULT_RESULT_POLL_MS);
    super(options.maxWorkers ?? 8, () => new JsWorker({ memoryLimitMb, spinSlots, spinMs, resultPollMs }));
    this.memoryLimitMb = memoryLimitMb;
  }
}

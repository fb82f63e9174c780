/**
 * The pool of JavaScript code-node workers owned by a runtime. Workers start lazily up to
 * `maxWorkers`, stay warm between jobs, and are unref'd while idle so they never keep a process
 * alive. A worker terminated by a deadline or cancel leaves the pool; the next job that needs one
 * starts a replacement. `close()` terminates every worker and rejects queued jobs.
 *
 * Idle workers are handed out last-in first-out: the worker that just finished is the one most
 * likely still spinning on its job doorbell (code-worker.js), so the next job starts without a
 * thread wake-up. The pool's spin slots allow one spinning worker fewer than there are cores, so
 * the host thread always keeps a core (and a one-core machine never spins).
 */
import { availableParallelism } from "node:os";
import { RuntimeClosedError } from "../../errors.js";
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

interface Waiter {
  resolve(worker: JsWorker): void;
  reject(error: unknown): void;
  signal: AbortSignal;
  onAbort(): void;
}

export class JsWorkerPool {
  readonly maxWorkers: number;
  readonly memoryLimitMb: number;
  readonly #idle: JsWorker[] = [];
  readonly #all = new Set<JsWorker>();
  readonly #waiters: Waiter[] = [];
  readonly #spinSlots = new Int32Array(new SharedArrayBuffer(4 * Math.max(0, availableParallelism() - 1)));
  readonly #idleSpinMs: number;
  readonly #resultPollMs: number;
  #closed = false;

  constructor(options: JsWorkerPoolOptions = {}) {
    this.maxWorkers = Math.max(1, options.maxWorkers ?? 8);
    this.memoryLimitMb = options.memoryLimitMb ?? 256;
    this.#idleSpinMs = Math.max(0, options.idleSpinMs ?? DEFAULT_IDLE_SPIN_MS);
    this.#resultPollMs = Math.max(0, options.resultPollMs ?? DEFAULT_RESULT_POLL_MS);
  }

  /** Number of live worker threads (for tests and diagnostics). */
  get size(): number {
    return this.#all.size;
  }

  /** Start `count` workers ahead of time so the first jobs do not pay the thread start-up. */
  warm(count = 1): void {
    while (!this.#closed && this.#all.size < Math.min(count, this.maxWorkers)) this.#idle.push(this.#spawn());
  }

  async run(job: JsJob): Promise<JsJobResult> {
    const worker = await this.#acquire(job.signal);
    try {
      return await worker.run(job);
    } finally {
      this.#release(worker);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const waiter of this.#waiters.splice(0)) {
      waiter.signal.removeEventListener("abort", waiter.onAbort);
      waiter.reject(new RuntimeClosedError());
    }
    this.#idle.length = 0;
    await Promise.all([...this.#all].map((worker) => worker.terminate()));
    this.#all.clear();
  }

  #spawn(): JsWorker {
    const worker = new JsWorker({ memoryLimitMb: this.memoryLimitMb, spinSlots: this.#spinSlots, spinMs: this.#idleSpinMs, resultPollMs: this.#resultPollMs });
    worker.onExit = () => {
      this.#all.delete(worker);
      const index = this.#idle.indexOf(worker);
      if (index >= 0) this.#idle.splice(index, 1);
      this.#serveWaiter();
    };
    this.#all.add(worker);
    return worker;
  }

  #acquire(signal: AbortSignal): Promise<JsWorker> {
    if (this.#closed) return Promise.reject(new RuntimeClosedError());
    if (signal.aborted) return Promise.reject(signal.reason);
    const idle = this.#idle.pop();
    if (idle) return Promise.resolve(idle);
    if (this.#all.size < this.maxWorkers) return Promise.resolve(this.#spawn());
    return new Promise<JsWorker>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          const index = this.#waiters.indexOf(waiter);
          if (index >= 0) this.#waiters.splice(index, 1);
          reject(signal.reason);
        },
      };
      signal.addEventListener("abort", waiter.onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  #release(worker: JsWorker): void {
    if (worker.exited || this.#closed) return;
    this.#idle.push(worker);
    this.#serveWaiter();
  }

  #serveWaiter(): void {
    while (this.#waiters.length > 0 && !this.#closed) {
      let worker = this.#idle.pop();
      if (!worker && this.#all.size < this.maxWorkers) worker = this.#spawn();
      if (!worker) return;
      const waiter = this.#waiters.shift()!;
      waiter.signal.removeEventListener("abort", waiter.onAbort);
      waiter.resolve(worker);
    }
  }
}

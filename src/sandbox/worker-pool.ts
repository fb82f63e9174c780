/**
 * A bounded pool of code-node workers (threads or processes). Workers start lazily up to
 * `maxWorkers`, stay warm between jobs, and leave the pool when they exit (a deadline or cancel
 * kills them); the next job that needs one starts a replacement. `close()` terminates every worker
 * and rejects queued jobs. A job waiting for a worker settles at once, with the abort reason, when
 * its signal aborts.
 */
import { RuntimeClosedError } from "../errors.js";
import { subscribeAbort } from "../signals/subscribe-abort.js";

export interface PoolWorker<Job, Result> {
  run(job: Job): Promise<Result>;
  terminate(): Promise<void>;
  readonly exited: boolean;
  /** Called once when the worker has exited, whatever the reason. */
  onExit: () => void;
}

interface Waiter<W> {
  resolve(worker: W): void;
  reject(error: unknown): void;
  unsubscribe(): void;
}

export class WorkerPool<Job extends { signal: AbortSignal }, Result, W extends PoolWorker<Job, Result>> {
  readonly maxWorkers: number;
  readonly #spawnWorker: () => W;
  readonly #idle: W[] = [];
  readonly #all = new Set<W>();
  readonly #waiters: Waiter<W>[] = [];
  #closed = false;

  constructor(maxWorkers: number, spawnWorker: () => W) {
    this.maxWorkers = Math.max(1, maxWorkers);
    this.#spawnWorker = spawnWorker;
  }

  /** Live workers (for tests and diagnostics). */
  get size(): number {
    return this.#all.size;
  }

  /** Start workers ahead of time so the first jobs do not pay the start-up. */
  warm(count = 1): void {
    while (!this.#closed && this.#all.size < Math.min(count, this.maxWorkers)) this.#idle.push(this.#spawn());
  }

  async run(job: Job): Promise<Result> {
    // An idle worker is taken at once; only a job that must wait for one awaits (one microtask
    // hop less per job on the common path).
    const worker = this.#takeIdle(job.signal) ?? (await this.#acquire(job.signal));
    try {
      return await worker.run(job);
    } finally {
      this.#release(worker);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const waiter of this.#waiters.splice(0)) {
      waiter.unsubscribe();
      waiter.reject(new RuntimeClosedError());
    }
    this.#idle.length = 0;
    await Promise.all([...this.#all].map((worker) => worker.terminate()));
    this.#all.clear();
  }

  #spawn(): W {
    const worker = this.#spawnWorker();
    worker.onExit = () => {
      this.#all.delete(worker);
      const index = this.#idle.indexOf(worker);
      if (index >= 0) this.#idle.splice(index, 1);
      this.#serveWaiters();
    };
    this.#all.add(worker);
    return worker;
  }

  /** An idle worker for a job that may start now (pool open, signal not aborted), else undefined. */
  #takeIdle(signal: AbortSignal): W | undefined {
    return this.#closed || signal.aborted ? undefined : this.#idle.pop();
  }

  #acquire(signal: AbortSignal): Promise<W> {
    if (this.#closed) return Promise.reject(new RuntimeClosedError());
    if (signal.aborted) return Promise.reject(signal.reason);
    const idle = this.#idle.pop();
    if (idle) return Promise.resolve(idle);
    if (this.#all.size < this.maxWorkers) return Promise.resolve(this.#spawn());
    return new Promise<W>((resolve, reject) => {
      const waiter: Waiter<W> = {
        resolve,
        reject,
        unsubscribe: subscribeAbort(signal, () => {
          const index = this.#waiters.indexOf(waiter);
          if (index >= 0) this.#waiters.splice(index, 1);
          reject(signal.reason);
        }),
      };
      this.#waiters.push(waiter);
    });
  }

  #release(worker: W): void {
    if (worker.exited || this.#closed) return;
    this.#idle.push(worker);
    this.#serveWaiters();
  }

  #serveWaiters(): void {
    while (this.#waiters.length > 0 && !this.#closed) {
      let worker = this.#idle.pop();
      if (!worker && this.#all.size < this.maxWorkers) worker = this.#spawn();
      if (!worker) return;
      const waiter = this.#waiters.shift()!;
      waiter.unsubscribe();
      waiter.resolve(worker);
    }
  }
}

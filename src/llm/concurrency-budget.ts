/**
 * The per-run LLM concurrency budget (SPEC §5, default 8): LLM calls in flight for one run, shared
 * by parallel nodes and by concurrent calls inside one node. A waiting acquire ends at once, with
 * the signal's reason, when the signal aborts; a slot is released exactly once.
 */
import { subscribeAbort } from "../signals/subscribe-abort.js";

export class ConcurrencyBudget {
  readonly limit: number;
  #inUse = 0;
  readonly #waiting: Array<{ grant(): void }> = [];

  constructor(limit: number) {
    this.limit = Math.max(1, limit);
  }

  get inUse(): number {
    return this.#inUse;
  }

  /** Resolves with a release function once a slot is free. */
  acquire(signal: AbortSignal): Promise<() => void> {
    if (signal.aborted) return Promise.reject(signal.reason);
    if (this.#inUse < this.limit) {
      this.#inUse++;
      return Promise.resolve(this.#releaser());
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        grant: () => {
          unsubscribe();
          this.#inUse++;
          resolve(this.#releaser());
        },
      };
      const unsubscribe = subscribeAbort(signal, () => {
        const index = this.#waiting.indexOf(waiter);
        if (index >= 0) this.#waiting.splice(index, 1);
        reject(signal.reason);
      });
      this.#waiting.push(waiter);
    });
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#inUse--;
      this.#waiting.shift()?.grant();
    };
  }
}

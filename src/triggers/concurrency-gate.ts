/**
 * One trigger's `concurrency {policy, maxParallel, queueSize}` (SPEC §7; Flocks declares it but never
 * enforces it, reference flocks-service.md §3.1 and §9). A fire is offered to the gate, which either
 * reserves a slot at once, queues it, or refuses it:
 *
 * | policy        | slots          | when the slots are taken                                             |
 * |---------------|----------------|----------------------------------------------------------------------|
 * | `allow`       | unlimited      | never: Flocks runs webhooks unbounded, so `maxParallel` is ignored   |
 * | `no_overlap`  | 1              | refused (`overlap`); nothing waits                                   |
 * | `queue`       | `maxParallel`  | waits if fewer than `queueSize` wait, else refused (`queue_full`)    |
 * | `drop_newest` | `maxParallel`  | waits if fewer than `queueSize` wait, else the new fire is dropped   |
 * | `drop_oldest` | `maxParallel`  | waits; if `queueSize` already wait, the oldest waiting one is dropped|
 *
 * `queue` and `drop_newest` keep the same fires; they differ in what the caller is told (a webhook
 * gets 429 for `queue_full`, so its sender retries later, and 200 `accepted: false` for `dropped`,
 * because the author chose to shed load).
 *
 * A slot is held from the moment it is reserved until the holder calls `release` (the manager does
 * so when the run's `finished` settles, or when its start failed); then the oldest waiting fire is
 * launched. `release` is idempotent.
 */
import type { TriggerConcurrency } from "./normalize-trigger.js";

export type Admission = { kind: "start"; release: () => void } | { kind: "queued" } | { kind: "rejected"; reason: "overlap" | "queue_full" | "dropped" };

export class ConcurrencyGate<Job> {
  #settings: TriggerConcurrency;
  #running = 0;
  readonly #queue: Job[] = [];
  readonly #launch: (job: Job, release: () => void) => void;
  #closed = false;

  /** `launch` starts a job that waited; it must call `release` exactly once when the job is over. */
  constructor(settings: TriggerConcurrency, launch: (job: Job, release: () => void) => void) {
    this.#settings = settings;
    this.#launch = launch;
  }

  get running(): number {
    return this.#running;
  }

  get queued(): number {
    return this.#queue.length;
  }

  offer(job: Job): Admission {
    if (this.#closed) return { kind: "rejected", reason: "dropped" };
    const { policy } = this.#settings;
    // Waiting jobs go first: a new one starts at once only when nothing waits.
    if (this.#queue.length === 0 && this.#running < this.#limit()) {
      this.#running++;
      return { kind: "start", release: this.#releaser() };
    }
    if (policy === "no_overlap") return { kind: "rejected", reason: "overlap" };
    if (this.#queue.length >= this.#settings.queueSize) {
      if (policy === "queue") return { kind: "rejected", reason: "queue_full" };
      if (policy === "drop_newest") return { kind: "rejected", reason: "dropped" };
      this.#queue.shift();
    }
    this.#queue.push(job);
    return { kind: "queued" };
  }

  /**
   * New settings for a changed trigger. Running jobs keep their slots (so `no_overlap` still sees
   * them); waiting jobs start if the new limits allow, and the oldest beyond the new capacity are dropped.
   */
  configure(settings: TriggerConcurrency): void {
    this.#settings = settings;
    this.#drain();
    const capacity = isQueueing(settings.policy) ? settings.queueSize : 0;
    if (this.#queue.length > capacity) this.#queue.splice(0, this.#queue.length - capacity);
  }

  /** Drops every waiting job. */
  clearQueue(): void {
    this.#queue.length = 0;
  }

  /** Drops every waiting job and refuses new ones; running jobs still release their slots. */
  close(): void {
    this.#closed = true;
    this.clearQueue();
  }

  #limit(): number {
    const { policy, maxParallel } = this.#settings;
    if (policy === "allow") return Number.POSITIVE_INFINITY;
    if (policy === "no_overlap") return 1;
    return maxParallel;
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#running--;
      this.#drain();
    };
  }

  #drain(): void {
    while (!this.#closed && this.#queue.length > 0 && this.#running < this.#limit()) {
      const job = this.#queue.shift()!;
      this.#running++;
      this.#launch(job, this.#releaser());
    }
  }
}

function isQueueing(policy: TriggerConcurrency["policy"]): boolean {
  return policy === "queue" || policy === "drop_oldest" || policy === "drop_newest";
}

/**
 * One JavaScript code-node worker thread, seen from the host: runs one job at a time, serves the
 * job's host calls, and is terminated (never asked) when the job's signal aborts.
 *
 * Jobs and results travel through shared memory (shared-channel.js describes the protocol): the
 * host writes a job and rings the worker's doorbell, then watches its own doorbell without ever
 * blocking the event loop: first by polling from setImmediate for up to `resultPollMs` (a sleeping
 * host thread can take tens of µs to wake, more than a small node's whole run; a SpinBudget stops
 * the polling when it stops paying off), then with `Atomics.waitAsync`. Each look reads the result
 * header first and drains the `toHost` port second, so host calls posted before the result are
 * served before the result settles the job. No 'message' listener is involved after start-up.
 *
 * Ownership: the pool owns JsWorker instances; a JsWorker owns its Worker, its ports and every
 * listener it adds. `run` settles exactly once per job; when it rejects because of an abort the
 * thread has already exited (SPEC §1.6: a node says cancelled or timed out only after its work has
 * stopped). A pending `waitAsync` does not keep the process alive (the Worker is ref'd while a job
 * runs) and is released when the thread exits.
 */
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import { CodeError, WorkerCrashError } from "../../errors.js";
import { serializeError, type HostCall, type HostCallHandler } from "../protocol.js";
import {
  CANCEL,
  JOB_ID,
  JOB_LENGTHS,
  JOB_VIA,
  RESULT_DONE,
  RESULT_JOB,
  RESULT_KIND,
  RESULT_LENGTHS,
  SYNC_REPLY,
  SpinBudget,
  TO_HOST,
  TO_WORKER,
  VIA_INLINE,
  VIA_PORT,
  channelViews,
  createChannelBuffer,
  readStrings,
  writeStrings,
} from "./shared-channel.js";

const WORKER_URL = new URL("./code-worker.js", import.meta.url);

// In Node since 16, in TypeScript's lib only from ES2024 (this project compiles against ES2023).
const waitAsync = (Atomics as unknown as {
  waitAsync(array: Int32Array, index: number, value: number): { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync;

export interface JsJob {
  nodeId: string;
  code: string;
  inputs: Record<string, unknown>;
  signal: AbortSignal;
  hostCalls: HostCallHandler;
}

export interface JsJobResult {
  outputs: Record<string, unknown>;
  stdout: string;
}

export interface JsWorkerOptions {
  memoryLimitMb: number;
  /**
   * Shared by a pool's workers: each slot holds the thread id of a worker spinning while idle, so
   * at most `length` of them spin at once. Empty (the default): no worker spins.
   */
  spinSlots?: Int32Array;
  /** How long an idle worker may spin on its job doorbell before it sleeps (ms). */
  spinMs?: number;
  /** How long the host polls for a job's result from the event loop before it sleeps on it (ms). */
  resultPollMs?: number;
}

interface ActiveJob {
  id: number;
  resolve(result: JsJobResult): void;
  reject(error: unknown): void;
  /**
   * Made on the job's first host call (most jobs make none), aborted when the job ends or its signal
   * aborts: stops the host calls it started. Making and aborting one for every job cost ~25 µs (the
   * abort builds a DOMException with a stack).
   */
  calls: AbortController | undefined;
  onAbort(): void;
  signal: AbortSignal;
  hostCalls: HostCallHandler;
}

/** What the worker posts on the `toHost` port. */
type ToHostMessage =
  | { type: "call"; jobId: number; id: number; sync: boolean; call: HostCall }
  | { type: "result"; jobId: number; kind: number; strings: string[] };

export class JsWorker {
  readonly #worker: Worker;
  /** Host → worker: sync replies and oversized jobs. */
  readonly #fromHost: MessagePort;
  /** Worker → host: host calls and oversized results; drained with receiveMessageOnPort. */
  readonly #toHost: MessagePort;
  readonly #channel: { control: Int32Array; job: Uint8Array; result: Uint8Array };
  readonly #spinSlots: Int32Array;
  /** Read once: `worker.threadId` is -1 by the time 'exit' is emitted. */
  readonly #threadId: number;
  readonly #memoryLimitMb: number;
  readonly #resultPollMs: number;
  readonly #pollBudget = new SpinBudget();
  readonly #ready: Promise<void>;
  #isReady = false;
  #job: ActiveJob | undefined;
  #nextJobId = 1;
  #exited = false;
  #exitError: Error | undefined;
  #onExit: (() => void) | undefined;

  constructor(options: JsWorkerOptions) {
    this.#memoryLimitMb = options.memoryLimitMb;
    this.#resultPollMs = options.resultPollMs ?? 0;
    this.#spinSlots = options.spinSlots ?? new Int32Array(new SharedArrayBuffer(0));
    const fromHost = new MessageChannel();
    const toHost = new MessageChannel();
    this.#fromHost = fromHost.port1;
    this.#toHost = toHost.port1;
    const buffer = createChannelBuffer();
    this.#channel = channelViews(buffer);
    this.#worker = new Worker(WORKER_URL, {
      workerData: { fromHost: fromHost.port2, toHost: toHost.port2, channel: buffer, spinSlots: this.#spinSlots, spinMs: options.spinMs ?? 0 },
      transferList: [fromHost.port2, toHost.port2],
      // No host environment inside code nodes (SPEC §4).
      env: {},
      stdout: false,
      stderr: false,
      resourceLimits: { maxOldGenerationSizeMb: options.memoryLimitMb, maxYoungGenerationSizeMb: 32 },
    });
    this.#threadId = this.#worker.threadId;
    this.#ready = new Promise<void>((resolve, reject) => {
      const onMessage = (message: { type: string }): void => {
        if (message.type === "ready") {
          this.#worker.off("error", onError);
          this.#isReady = true;
          resolve();
        }
      };
      const onError = (error: Error): void => reject(new WorkerCrashError(`JavaScript worker failed to start: ${error.message}`, error));
      this.#worker.once("message", onMessage);
      this.#worker.once("error", onError);
    });
    this.#ready.catch(() => {});
    this.#worker.on("error", (error: Error) => this.#onCrash(error));
    this.#worker.on("exit", () => {
      this.#exited = true;
      this.#fromHost.close();
      this.#toHost.close();
      // A thread killed while spinning never released its slot.
      for (let i = 0; i < this.#spinSlots.length; i++) Atomics.compareExchange(this.#spinSlots, i, this.#threadId, 0);
      this.#failJob(this.#exitError ?? new WorkerCrashError("JavaScript worker exited unexpectedly"));
      // Releases the job's pending waitAsync, whose loop then sees that its job is gone.
      Atomics.add(this.#channel.control, TO_HOST, 1);
      Atomics.notify(this.#channel.control, TO_HOST);
      this.#onExit?.();
    });
    this.#worker.unref();
  }

  get busy(): boolean {
    return this.#job !== undefined;
  }

  get exited(): boolean {
    return this.#exited;
  }

  /** Called once when the thread has exited, whatever the reason. */
  set onExit(callback: () => void) {
    this.#onExit = callback;
  }

  async run(job: JsJob): Promise<JsJobResult> {
    if (!this.#isReady) await this.#ready;
    if (this.#exited) throw new WorkerCrashError("JavaScript worker is gone");
    if (job.signal.aborted) throw job.signal.reason;
    const inputsJson = JSON.stringify(job.inputs);
    return new Promise<JsJobResult>((resolve, reject) => {
      const id = this.#nextJobId++;
      const onAbort = (): void => {
        // Stop the work first, then settle: terminate the thread (which also ends any Atomics.wait)
        // and abort the host calls the job had in flight.
        Atomics.store(this.#channel.control, CANCEL, 1);
        const reason = job.signal.reason as unknown;
        active.calls?.abort(reason);
        this.#job = undefined;
        job.signal.removeEventListener("abort", onAbort);
        void this.terminate().then(() => reject(reason));
      };
      const active: ActiveJob = { id, resolve, reject, calls: undefined, onAbort, signal: job.signal, hostCalls: job.hostCalls };
      this.#job = active;
      job.signal.addEventListener("abort", onAbort, { once: true });
      this.#worker.ref();
      this.#dispatch(id, job.nodeId, job.code, inputsJson);
      this.#awaitResult(active).catch((error: unknown) => {
        if (this.#job === active) this.#failJob(error);
      });
    });
  }

  async terminate(): Promise<void> {
    if (this.#exited) return;
    await this.#worker.terminate();
  }

  #dispatch(id: number, nodeId: string, code: string, inputsJson: string): void {
    const { control } = this.#channel;
    if (writeStrings(control, JOB_LENGTHS, this.#channel.job, [nodeId, code, inputsJson])) {
      control[JOB_VIA] = VIA_INLINE;
    } else {
      control[JOB_VIA] = VIA_PORT;
      this.#fromHost.postMessage({ type: "job", jobId: id, nodeId, code, inputsJson });
    }
    Atomics.store(control, JOB_ID, id);
    Atomics.add(control, TO_WORKER, 1);
    Atomics.notify(control, TO_WORKER);
  }

  /** Serves the job's host calls and settles it with its result; returns once the job is over. */
  async #awaitResult(job: ActiveJob): Promise<void> {
    const { control } = this.#channel;
    // Polling from setImmediate lets I/O and timers run between two looks.
    let pollUntil = this.#resultPollMs > 0 && this.#pollBudget.tryTake() ? performance.now() + this.#resultPollMs : 0;
    while (this.#job === job) {
      const seen = Atomics.load(control, TO_HOST);
      // The result header before the port: whatever the worker posted before its result is then
      // already on the port.
      const hasResult = Atomics.load(control, RESULT_JOB) === job.id;
      for (let received = receiveMessageOnPort(this.#toHost); received; received = receiveMessageOnPort(this.#toHost)) {
        this.#onMessage(job, received.message as ToHostMessage);
      }
      if (this.#job !== job) return;
      if (hasResult) {
        if (pollUntil > 0) this.#pollBudget.succeeded();
        const kind = control[RESULT_KIND]!;
        this.#settle(job, kind, readStrings(control, RESULT_LENGTHS, this.#channel.result, kind === RESULT_DONE ? 2 : 4));
        return;
      }
      if (pollUntil > 0) {
        if (performance.now() < pollUntil) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          continue;
        }
        this.#pollBudget.failed();
        pollUntil = 0;
      }
      const wait = waitAsync(control, TO_HOST, seen);
      if (wait.async) await wait.value;
    }
  }

  #finish(job: ActiveJob): void {
    this.#job = undefined;
    job.signal.removeEventListener("abort", job.onAbort);
    if (job.calls && !job.calls.signal.aborted) job.calls.abort();
    this.#worker.unref();
  }

  #failJob(error: unknown): void {
    const job = this.#job;
    if (!job) return;
    this.#finish(job);
    job.reject(error);
  }

  #onCrash(error: Error): void {
    const code = (error as { code?: string }).code;
    this.#exitError =
      code === "ERR_WORKER_OUT_OF_MEMORY"
        ? new WorkerCrashError(`JavaScript node ran out of memory (limit ${this.#memoryLimitMb} MB)`, error)
        : new WorkerCrashError(`JavaScript worker crashed: ${error.message}`, error);
  }

  #onMessage(job: ActiveJob, message: ToHostMessage): void {
    if (message.jobId !== job.id) return;
    if (message.type === "result") this.#settle(job, message.kind, message.strings);
    else this.#serveCall(job, message.id, message.sync, message.call);
  }

  #settle(job: ActiveJob, kind: number, strings: string[]): void {
    this.#finish(job);
    if (kind === RESULT_DONE) {
      job.resolve({ outputs: JSON.parse(strings[0]!) as Record<string, unknown>, stdout: strings[1]! });
    } else {
      const [name, message, traceback, stdout] = strings as [string, string, string, string];
      job.reject(new CodeError(name, message, traceback, stdout));
    }
  }

  #serveCall(job: ActiveJob, id: number, sync: boolean, call: HostCall): void {
    const handler = job.hostCalls;
    job.calls ??= new AbortController();
    const signal = job.calls.signal;
    const reply = (json: string): void => {
      // A job that ended (or a thread being terminated) no longer waits for this answer.
      if (this.#job !== job || this.#exited) return;
      if (sync) {
        this.#fromHost.postMessage({ type: "reply", id, json });
        Atomics.add(this.#channel.control, SYNC_REPLY, 1);
        Atomics.notify(this.#channel.control, SYNC_REPLY);
      } else {
        this.#worker.postMessage({ type: "reply", id, json });
      }
    };
    let pending: Promise<unknown>;
    try {
      pending = handler(call, signal);
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      (value) => reply(JSON.stringify({ ok: true, value: value === undefined ? null : value })),
      (error: unknown) => reply(JSON.stringify({ ok: false, error: serializeError(error) })),
    );
  }
}

/**
 * One JavaScript code-node worker thread, seen from the host: runs one job at a time, serves the
 * job's host calls, and is terminated (never asked) when the job's signal aborts.
 *
 * Ownership: the pool owns JsWorker instances; a JsWorker owns its Worker, its sync channel and
 * every listener it adds. `run` settles exactly once per job; when it rejects because of an abort
 * the thread has already exited (SPEC §1.6: a node says cancelled or timed out only after its work
 * has stopped).
 */
import { MessageChannel, Worker, type MessagePort } from "node:worker_threads";
import { CodeError, WorkerCrashError } from "../../errors.js";
import { serializeError, type HostCall, type HostCallHandler } from "../protocol.js";

const WORKER_URL = new URL("./code-worker.js", import.meta.url);

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
}

interface ActiveJob {
  id: number;
  nodeId: string;
  resolve(result: JsJobResult): void;
  reject(error: unknown): void;
  /**
   * Made on the job's first host call (most jobs make none), aborted when the job ends or its signal
   * aborts: stops the host calls it started. Making and aborting one per job cost ~25 µs (the abort
   * builds a DOMException with a stack).
   */
  calls: AbortController | undefined;
  onAbort(): void;
  signal: AbortSignal;
  hostCalls: HostCallHandler;
}

type WorkerMessage =
  | { type: "ready" }
  | { type: "call"; jobId: number; id: number; sync: boolean; call: HostCall }
  | { type: "done"; jobId: number; outputsJson: string; stdout: string }
  | { type: "failed"; jobId: number; error: { name: string; message: string; traceback: string }; stdout: string };

export class JsWorker {
  readonly #worker: Worker;
  readonly #syncPort: MessagePort;
  readonly #flags: Int32Array;
  readonly #memoryLimitMb: number;
  readonly #ready: Promise<void>;
  #job: ActiveJob | undefined;
  #nextJobId = 1;
  #exited = false;
  #exitError: Error | undefined;
  #onExit: (() => void) | undefined;

  constructor(options: JsWorkerOptions) {
    this.#memoryLimitMb = options.memoryLimitMb;
    const channel = new MessageChannel();
    this.#syncPort = channel.port1;
    const signalBuffer = new SharedArrayBuffer(8);
    this.#flags = new Int32Array(signalBuffer);
    this.#worker = new Worker(WORKER_URL, {
      workerData: { syncPort: channel.port2, signalBuffer },
      transferList: [channel.port2],
      // No host environment inside code nodes (SPEC §4).
      env: {},
      stdout: false,
      stderr: false,
      resourceLimits: { maxOldGenerationSizeMb: options.memoryLimitMb, maxYoungGenerationSizeMb: 32 },
    });
    this.#ready = new Promise<void>((resolve, reject) => {
      const onMessage = (message: WorkerMessage): void => {
        if (message.type === "ready") {
          this.#worker.off("error", onError);
          resolve();
        }
      };
      const onError = (error: Error): void => reject(new WorkerCrashError(`JavaScript worker failed to start: ${error.message}`, error));
      this.#worker.once("message", onMessage);
      this.#worker.once("error", onError);
    });
    this.#ready.catch(() => {});
    this.#worker.on("message", (message: WorkerMessage) => this.#onMessage(message));
    this.#worker.on("error", (error: Error) => this.#onCrash(error));
    this.#worker.on("exit", () => {
      this.#exited = true;
      this.#syncPort.close();
      this.#failJob(this.#exitError ?? new WorkerCrashError("JavaScript worker exited unexpectedly"));
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
    await this.#ready;
    if (this.#exited) throw new WorkerCrashError("JavaScript worker is gone");
    if (job.signal.aborted) throw job.signal.reason;
    const inputsJson = JSON.stringify(job.inputs);
    return new Promise<JsJobResult>((resolve, reject) => {
      const id = this.#nextJobId++;
      const onAbort = (): void => {
        // Stop the work first, then settle: terminate the thread (which also ends any Atomics.wait)
        // and abort the host calls the job had in flight.
        Atomics.store(this.#flags, 1, 1);
        const reason = job.signal.reason as unknown;
        active.calls?.abort(reason);
        this.#job = undefined;
        job.signal.removeEventListener("abort", onAbort);
        void this.terminate().then(() => reject(reason));
      };
      const active: ActiveJob = { id, nodeId: job.nodeId, resolve, reject, calls: undefined, onAbort, signal: job.signal, hostCalls: job.hostCalls };
      this.#job = active;
      job.signal.addEventListener("abort", onAbort, { once: true });
      this.#worker.ref();
      this.#worker.postMessage({ type: "run", jobId: id, nodeId: job.nodeId, code: job.code, inputsJson });
    });
  }

  async terminate(): Promise<void> {
    if (this.#exited) return;
    await this.#worker.terminate();
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

  #onMessage(message: WorkerMessage): void {
    const job = this.#job;
    switch (message.type) {
      case "done":
        if (!job || job.id !== message.jobId) return;
        this.#finish(job);
        job.resolve({ outputs: JSON.parse(message.outputsJson) as Record<string, unknown>, stdout: message.stdout });
        return;
      case "failed":
        if (!job || job.id !== message.jobId) return;
        this.#finish(job);
        job.reject(new CodeError(message.error.name, message.error.message, message.error.traceback, message.stdout));
        return;
      case "call":
        if (!job || job.id !== message.jobId) return;
        this.#serveCall(job, message.id, message.sync, message.call);
        return;
      default:
        return;
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
        this.#syncPort.postMessage({ id, json });
        Atomics.add(this.#flags, 0, 1);
        Atomics.notify(this.#flags, 0);
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

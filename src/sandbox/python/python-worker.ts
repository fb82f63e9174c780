/**
 * One Python worker process, seen from the host (SPEC §4; protocol in runner.py's header).
 *
 * Ownership: the process is started `detached`, so it leads its own process group; on a deadline
 * or cancel the whole group is killed (threads and any subprocess the node started go with it) and
 * the job settles only after the process has exited (SPEC §1.6). The host calls a job started are
 * aborted with the same reason. The worker never sees a secret: its environment is built from an
 * allowlist, and tool and LLM calls are served here, in the host.
 *
 * Idle workers are unref'd (process and pipes), so they never keep the host process alive; a
 * worker whose host goes away sees stdin close and exits by itself.
 */
import { spawn, type ChildProcess } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { CodeError, WorkerCrashError } from "../../errors.js";
import { serializeError, type HostCall, type HostCallHandler } from "../protocol.js";
import { FrameLines } from "./frame-lines.js";

const RUNNER = fileURLToPath(new URL("./runner.py", import.meta.url));
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;
const STDERR_TAIL_BYTES = 4096;
const MIN_PYTHON: [number, number] = [3, 9];
/**
 * Node code is sent to a worker once and named by id after that; the worker keeps at most this many
 * codes (both sides forget them all together when the host allocates one more).
 */
export const CODE_TABLE_LIMIT = 256;

export interface PythonJob {
  nodeId: string;
  code: string;
  inputs: Record<string, unknown>;
  /** `metadata.requirements`, so an import error can name the missing requirement. */
  requirements: string[];
  signal: AbortSignal;
  hostCalls: HostCallHandler;
}

export interface PythonJobResult {
  outputs: Record<string, unknown>;
  stdout: string;
}

export interface PythonWorkerOptions {
  executable: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Largest frame either way (default MAX_FRAME_BYTES). */
  maxFrameBytes?: number;
}

type WorkerFrame =
  | { type: "ready"; python: string; executable?: string }
  | { type: "call"; job: number; id: number; call: HostCall }
  | { type: "done"; job: number; outputs: Record<string, unknown>; stdout: string; retire?: boolean }
  | { type: "failed"; job: number; error: { type: string; message: string; traceback: string }; stdout: string };

interface CodeFields {
  code_id: number;
  code?: string;
  forget?: true;
}

interface ActiveJob {
  id: number;
  resolve(result: PythonJobResult): void;
  reject(error: unknown): void;
  signal: AbortSignal;
  onAbort(): void;
  /** Made on the job's first host call: most nodes make none. */
  calls: AbortController | undefined;
  /** Host calls started and not yet answered. */
  callsInFlight: number;
  hostCalls: HostCallHandler;
}

/** The abort reason of host calls still running when their node finished (never shown to users). */
const NODE_FINISHED = new WorkerCrashError("the node finished");

export class PythonWorker {
  readonly #child: ChildProcess;
  readonly #stdin: Writable;
  readonly #executable: string;
  readonly #ready: Promise<void>;
  readonly #exitedPromise: Promise<void>;
  readonly #maxFrameBytes: number;
  /** The code this worker holds, by text: its id and the node id it was compiled for. */
  readonly #codeIds = new Map<string, { id: number; nodeId: string }>();
  #nextCodeId = 1;
  /** Ids allocated since the worker last forgot its codes. */
  #codesHeld = 0;
  #job: ActiveJob | undefined;
  #nextJob = 1;
  #exited = false;
  #stderrTail = "";
  #failure: Error | undefined;
  /** Set once the worker is being retired: the pool must not hand it another job. */
  #retiring = false;
  /** Set by the constructor: checks the version in the worker's ready frame. */
  #onReady: (python: string) => void = () => {};
  onExit: () => void = () => {};

  constructor(options: PythonWorkerOptions) {
    this.#executable = options.executable;
    this.#maxFrameBytes = options.maxFrameBytes ?? MAX_FRAME_BYTES;
    this.#child = spawn(options.executable, ["-I", "-u", RUNNER], {
      stdio: ["pipe", "pipe", "pipe", "pipe"],
      detached: true,
      env: options.env,
      cwd: options.cwd,
    });
    this.#stdin = this.#child.stdin!;
    // A write to a worker that just died must not become an unhandled error.
    this.#stdin.on("error", () => {});
    const protocol = this.#child.stdio[3] as Readable;
    this.#child.stdout!.on("data", () => {});
    this.#child.stderr!.on("data", (chunk: Buffer) => {
      this.#stderrTail = (this.#stderrTail + chunk.toString("utf8")).slice(-STDERR_TAIL_BYTES);
    });
    this.#exitedPromise = new Promise((resolve) => this.#child.once("close", () => resolve()));
    this.#ready = new Promise<void>((resolve, reject) => {
      this.#child.once("error", (error: NodeJS.ErrnoException) => {
        this.#failure =
          error.code === "ENOENT"
            ? new WorkerCrashError(`Python not found: '${options.executable}' is not on PATH; install python3 (>= 3.9) or set config python.executable`, error)
            : new WorkerCrashError(`Python worker failed to start: ${error.message}`, error);
        reject(this.#failure);
      });
      this.#onReady = (python: string) => {
        const [major, minor] = python.split(".").map(Number) as [number, number];
        if (major < MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor < MIN_PYTHON[1])) {
          this.#failure = new WorkerCrashError(`Python ${python} at '${options.executable}' is too old; flockflow needs Python >= ${MIN_PYTHON.join(".")}`);
          reject(this.#failure);
          void this.terminate();
          return;
        }
        resolve();
      };
    });
    this.#ready.catch(() => {});
    const lines = new FrameLines(
      this.#maxFrameBytes,
      (line) => this.#onLine(line),
      () => {
        this.#failure = new WorkerCrashError(`a message from the Python worker is larger than ${this.#maxFrameBytes} bytes`);
        void this.terminate();
      },
    );
    protocol.on("data", (chunk: Buffer) => lines.push(chunk));
    this.#child.once("close", (code, signal) => this.#onClose(code, signal));
    this.#setRef(false);
  }

  /** The interpreter's real path as the worker reported it (`sys.executable`). */
  interpreterPath: string | undefined;

  get exited(): boolean {
    return this.#exited || this.#retiring;
  }

  /** Resolves once the worker has said it is ready (and its Python is recent enough). */
  get ready(): Promise<void> {
    return this.#ready;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  async run(job: PythonJob): Promise<PythonJobResult> {
    await this.#ready;
    if (this.#exited) throw this.#failure ?? new WorkerCrashError("Python worker is gone");
    if (job.signal.aborted) throw job.signal.reason;
    const code = this.#codeFields(job);
    const frame = JSON.stringify({ type: "run", job: this.#nextJob, node_id: job.nodeId, ...code, inputs: job.inputs, requirements: job.requirements });
    // A UTF-8 encoding is at most 3 bytes per UTF-16 unit, so only a long frame needs counting.
    if (frame.length > this.#maxFrameBytes / 3 && Buffer.byteLength(frame, "utf8") > this.#maxFrameBytes) {
      throw new WorkerCrashError(`the inputs of node '${job.nodeId}' are larger than ${this.#maxFrameBytes} bytes`);
    }
    if (code.code !== undefined) this.#codeSent(job, code);
    return new Promise<PythonJobResult>((resolve, reject) => {
      const id = this.#nextJob++;
      const onAbort = (): void => {
        // Stop the work first, then settle: kill the process group, abort the host calls.
        const reason = job.signal.reason as unknown;
        active.calls?.abort(reason);
        this.#job = undefined;
        void this.terminate().then(() => reject(reason));
      };
      const active: ActiveJob = { id, resolve, reject, signal: job.signal, onAbort, calls: undefined, callsInFlight: 0, hostCalls: job.hostCalls };
      this.#job = active;
      job.signal.addEventListener("abort", onAbort, { once: true });
      this.#setRef(true);
      this.#stdin.write(`${frame}\n`);
    });
  }

  /**
   * The frame fields naming the job's code: its id, with the text the first time this worker sees
   * it, and `forget` when the worker must first drop the codes it holds, to stay bounded.
   */
  #codeFields(job: PythonJob): CodeFields {
    const known = this.#codeIds.get(job.code);
    if (known && known.nodeId === job.nodeId) return { code_id: known.id };
    const fields: CodeFields = { code_id: this.#nextCodeId, code: job.code };
    if (this.#codesHeld >= CODE_TABLE_LIMIT) fields.forget = true;
    return fields;
  }

  /** Record that the frame carrying `fields` went out: later jobs name that code by id. */
  #codeSent(job: PythonJob, fields: CodeFields): void {
    if (fields.forget) {
      this.#codeIds.clear();
      this.#codesHeld = 0;
    }
    this.#nextCodeId++;
    this.#codesHeld++;
    this.#codeIds.set(job.code, { id: fields.code_id, nodeId: job.nodeId });
  }

  /** Kill the whole process group and wait until the process has exited. */
  async terminate(): Promise<void> {
    if (this.#exited) return;
    // An idle worker is unref'd; waiting for its exit must keep the host alive until it is gone.
    this.#setRef(true);
    const pid = this.#child.pid;
    if (pid !== undefined) {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        this.#child.kill("SIGKILL");
      }
    }
    await this.#exitedPromise;
  }

  #setRef(active: boolean): void {
    const handles = [this.#child, this.#child.stdin, this.#child.stdout, this.#child.stderr, this.#child.stdio[3]] as Array<{ ref?(): void; unref?(): void } | null>;
    for (const handle of handles) {
      if (active) handle?.ref?.();
      else handle?.unref?.();
    }
  }

  #finish(job: ActiveJob): void {
    this.#job = undefined;
    job.signal.removeEventListener("abort", job.onAbort);
    // Host calls a thread of the node left running stop with it (an abort event costs ~15 µs, so
    // only when there are some).
    if (job.callsInFlight > 0 && !job.calls!.signal.aborted) job.calls!.abort(NODE_FINISHED);
    this.#setRef(false);
  }

  #onLine(line: string): void {
    let frame: WorkerFrame;
    try {
      frame = JSON.parse(line) as WorkerFrame;
    } catch {
      // The protocol is broken: this worker cannot be trusted with the job any more.
      this.#failure = new WorkerCrashError(`the Python worker sent an unreadable message: ${line.slice(0, 120)}`);
      void this.terminate();
      return;
    }
    const job = this.#job;
    switch (frame.type) {
      case "ready":
        if (frame.executable) this.interpreterPath = frame.executable;
        this.#onReady(frame.python);
        return;
      case "call":
        if (job && job.id === frame.job) this.#serveCall(job, frame.id, frame.call);
        return;
      case "done":
        if (!job || job.id !== frame.job) return;
        this.#finish(job);
        // The node left a thread running: retire this worker so nothing of it reaches the next job.
        if (frame.retire) {
          this.#retiring = true;
          void this.terminate();
        }
        job.resolve({ outputs: frame.outputs, stdout: frame.stdout });
        return;
      case "failed":
        if (!job || job.id !== frame.job) return;
        this.#finish(job);
        job.reject(new CodeError(frame.error.type, frame.error.message, frame.error.traceback, frame.stdout));
        return;
    }
  }

  #serveCall(job: ActiveJob, id: number, call: HostCall): void {
    const reply = (frame: Record<string, unknown>): void => {
      job.callsInFlight--;
      if (this.#job !== job || this.#exited) return;
      this.#stdin.write(`${JSON.stringify({ type: "reply", id, ...frame })}\n`);
    };
    let pending: Promise<unknown>;
    job.callsInFlight++;
    try {
      job.calls ??= new AbortController();
      pending = job.hostCalls(call, job.calls.signal);
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      (value) => reply({ ok: true, value: value === undefined ? null : value }),
      (error: unknown) => reply({ ok: false, error: serializeError(error) }),
    );
  }

  #onClose(code: number | null, signal: NodeJS.Signals | null): void {
    this.#exited = true;
    const job = this.#job;
    if (job) {
      this.#finish(job);
      const tail = this.#stderrTail.trim();
      job.reject(this.#failure ?? new WorkerCrashError(`Python worker exited (${signal ?? `code ${code}`})${tail ? `: ${tail}` : ""}`));
    }
    this.onExit();
  }

  toString(): string {
    return `PythonWorker(${this.#executable}, pid ${this.#child.pid})`;
  }
}

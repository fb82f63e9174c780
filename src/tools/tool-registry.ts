/**
 * The tools a workflow can call: from `tool` nodes and from code nodes' `tool.run` / `tool.run_safe`.
 *
 * A tool is `(args, ctx) => value | Promise<value>`; `ctx.signal` aborts on cancel or deadline.
 * A tool that ignores its signal is abandoned: `run` settles with the signal's reason at once and
 * the tool's late result is dropped (SPEC §7 "Tools").
 */
import { RunCancelledError, ToolError, ToolNotFoundError, isCancellation } from "../errors.js";
import { subscribeAbort } from "../signals/subscribe-abort.js";
import { toPythonJson } from "./python-json.js";

export interface ToolContext {
  signal: AbortSignal;
  runId: string;
  nodeId: string;
}

export type ToolFunction = (args: Record<string, unknown>, ctx: ToolContext) => unknown;

export interface ToolDefinition {
  description?: string;
  /** JSON Schema of the arguments. */
  parameters?: Record<string, unknown>;
  run: ToolFunction;
}

/** What a tools module's default export maps names to. */
export type ToolEntry = ToolFunction | ToolDefinition;

/** Flocks' `tool.run_safe` result, exactly. */
export interface RunSafeEnvelope {
  success: boolean;
  text: string;
  obj: unknown;
  error: string | null;
}

export class ToolRegistry {
  readonly #tools = new Map<string, ToolDefinition>();

  register(name: string, entry: ToolEntry): void {
    this.#tools.set(name, typeof entry === "function" ? { run: entry } : entry);
  }

  registerAll(entries: Record<string, ToolEntry>): void {
    for (const [name, entry] of Object.entries(entries)) this.register(name, entry);
  }

  has(name: string): boolean {
    return this.#tools.has(name);
  }

  get(name: string): ToolDefinition | undefined {
    return this.#tools.get(name);
  }

  names(): string[] {
    return [...this.#tools.keys()].sort();
  }

  /**
   * Run a tool; its raw value, or ToolNotFoundError / ToolError. Cancellation and deadline
   * reasons pass through untouched (SPEC §1.4).
   */
  async run(name: string, args: Record<string, unknown>, ctx: ToolContext): Promise<unknown> {
    const { signal } = ctx;
    if (signal.aborted) throw signal.reason;
    const tool = this.#tools.get(name);
    if (!tool) throw new ToolNotFoundError(name);
    let settled: Promise<unknown>;
    try {
      settled = Promise.resolve(tool.run(args, ctx));
    } catch (error) {
      settled = Promise.reject(error);
    }
    try {
      return await abandonOnAbort(settled, signal);
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      if (isCancellation(error)) throw error;
      throw new ToolError(name, error);
    }
  }

  /** Flocks' envelope: never throws for a tool failure; cancellation and deadlines still pass. */
  async runSafe(name: string, args: Record<string, unknown>, ctx: ToolContext): Promise<RunSafeEnvelope> {
    try {
      const value = await this.run(name, args, ctx);
      return { success: true, text: envelopeText(value), obj: value ?? null, error: null };
    } catch (error) {
      if (ctx.signal.aborted || isCancellation(error)) throw error;
      return { success: false, text: "", obj: null, error: error instanceof Error ? error.message : String(error) };
    }
  }
}

/** `text` of the envelope: the string itself, "" for null, else Python-style JSON. */
export function envelopeText(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === null || value === undefined) return "";
  return toPythonJson(value);
}

/**
 * Settle with `promise`, or with `signal.reason` as soon as the signal aborts, whichever is first.
 * The listener is removed on both paths; a late rejection of the abandoned promise is swallowed so
 * it never becomes an unhandled rejection.
 */
export function abandonOnAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(signal.reason ?? new RunCancelledError());
  }
  return new Promise<T>((resolve, reject) => {
    const unsubscribe = subscribeAbort(signal, () => {
      promise.catch(() => {});
      reject(signal.reason);
    });
    promise.then(
      (value) => {
        unsubscribe();
        resolve(value);
      },
      (error: unknown) => {
        unsubscribe();
        reject(error);
      },
    );
  });
}

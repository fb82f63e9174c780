/**
 * The one object `run --json` prints (SPEC §7), with its keys in the documented order. Step
 * inputs/outputs are left out of `history` on purpose: the contract lists what scripts rely on, and
 * the run's `outputs` already hold the full result.
 */
import type { RunResult } from "../engine/types.js";

export function runResultJson(result: RunResult): Record<string, unknown> {
  return {
    status: result.status,
    runId: result.runId,
    steps: result.steps,
    lastNodeId: result.lastNodeId,
    outputs: result.outputs,
    error: result.error,
    history: result.history.map((step) => ({
      nodeId: step.nodeId,
      status: step.status,
      durationMs: step.durationMs,
      error: step.error,
      errorType: step.errorType,
      traceback: step.traceback,
      stdout: step.stdout,
    })),
  };
}

/**
 * JSON text of values that came from user tools, which may hold a BigInt or a cycle: printing the
 * result must not be what fails the command.
 */
export function toJsonText(value: unknown, indent?: number): string {
  const bigints = (_key: string, v: unknown): unknown => (typeof v === "bigint" ? v.toString() : v);
  try {
    return JSON.stringify(value, bigints, indent) ?? "null";
  } catch {
    const seen = new WeakSet<object>();
    return (
      JSON.stringify(
        value,
        (key, v: unknown) => {
          if (typeof v === "object" && v !== null) {
            if (seen.has(v)) return "[Circular]";
            seen.add(v);
          }
          return bigints(key, v);
        },
        indent,
      ) ?? "null"
    );
  }
}

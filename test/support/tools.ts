/**
 * Tools used by engine tests: real timers, real signals. `sleep` honours ctx.signal; `stubborn`
 * ignores it (to show abandonment); both record what happened so tests assert on it.
 */
import type { ToolContext, ToolEntry } from "../../src/tools/tool-registry.js";

export interface ToolLog {
  started: string[];
  finished: string[];
  aborted: Array<{ nodeId: string; reason: string; atMs: number }>;
}

export function testTools(log: ToolLog = { started: [], finished: [], aborted: [] }): Record<string, ToolEntry> {
  const t0 = performance.now();
  return {
    sleep: (args: Record<string, unknown>, ctx: ToolContext) =>
      new Promise((resolve, reject) => {
        log.started.push(ctx.nodeId);
        const ms = Number(args.ms ?? 100);
        const timer = setTimeout(() => {
          ctx.signal.removeEventListener("abort", onAbort);
          log.finished.push(ctx.nodeId);
          resolve({ slept: ms, tag: args.tag ?? null });
        }, ms);
        const onAbort = (): void => {
          clearTimeout(timer);
          log.aborted.push({ nodeId: ctx.nodeId, reason: (ctx.signal.reason as Error)?.name, atMs: performance.now() - t0 });
          reject(ctx.signal.reason);
        };
        ctx.signal.addEventListener("abort", onAbort, { once: true });
      }),
    stubborn: (args: Record<string, unknown>, ctx: ToolContext) =>
      new Promise((resolve) => {
        log.started.push(ctx.nodeId);
        // Deliberately ignores ctx.signal; unref'd so an abandoned call never holds the process.
        setTimeout(() => {
          log.finished.push(ctx.nodeId);
          resolve("late");
        }, Number(args.ms ?? 2000)).unref();
      }),
    echo: (args: Record<string, unknown>) => args,
    fail: (args: Record<string, unknown>) => {
      throw new Error(String(args.message ?? "tool failed"));
    },
    upper: (args: Record<string, unknown>) => String(args.text ?? "").toUpperCase(),
  };
}

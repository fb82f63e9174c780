/**
 * Watches the timers and TCP handles that code under test creates, by the source path on the stack
 * that created them, and reports the ones still alive. A count of `getActiveResourcesInfo()` alone
 * can be fooled: the test runner's own timers come and go and can hide a leaked one.
 */
import { createHook } from "node:async_hooks";

const WATCHED_TYPES = new Set(["Timeout", "Immediate", "TCPWRAP", "TCPSERVERWRAP"]);

export interface ResourceWatch {
  /**
   * `type` and the creating frame of each watched resource not yet destroyed that would keep the
   * process alive (an unref'd timer, like Node's own Date-header cache, would not).
   */
  alive(): string[];
  stop(): void;
}

export function watchResources(createdBy: RegExp): ResourceWatch {
  const alive = new Map<number, { label: string; resource: { hasRef?: () => boolean } }>();
  const hook = createHook({
    init(asyncId, type, _triggerAsyncId, resource: { hasRef?: () => boolean }) {
      if (!WATCHED_TYPES.has(type)) return;
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 40;
      const stack = new Error().stack ?? "";
      Error.stackTraceLimit = limit;
      const frame = stack.split("\n").find((line) => createdBy.test(line));
      if (frame) alive.set(asyncId, { label: `${type} ${frame.trim()}`, resource });
    },
    destroy(asyncId) {
      alive.delete(asyncId);
    },
  }).enable();
  return {
    alive: () => [...alive.values()].filter(({ resource }) => typeof resource.hasRef !== "function" || resource.hasRef()).map(({ label }) => label),
    stop: () => hook.disable(),
  };
}

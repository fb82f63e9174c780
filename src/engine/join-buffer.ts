/**
 * Fan-in for `join: true` nodes (reference §2.4 with the SPEC §3 fix: a join completes once every
 * distinct source has arrived, so two edges from one source complete). Arrivals from one source
 * accumulate (shallow merge); completion clears the buffer so joins work inside loops.
 */
import { isDeepStrictEqual } from "node:util";
import { JoinConflictError } from "../errors.js";
import type { WorkflowNode } from "../model/types.js";
import { setOwn } from "./own-key.js";

export const START_SOURCE = "__start__";

interface Pending {
  bySource: Map<string, Record<string, unknown>>;
}

export class JoinBuffers {
  readonly #pending = new Map<string, Pending>();

  /**
   * Record an arrival. Returns the merged payload when the join is complete, else undefined.
   * Throws JoinConflictError under `join_conflict: "error"` (the buffer is cleared first).
   */
  arrive(node: WorkflowNode, expected: string[], source: string | null, payload: Record<string, unknown>): Record<string, unknown> | undefined {
    let pending = this.#pending.get(node.id);
    if (!pending) {
      pending = { bySource: new Map() };
      this.#pending.set(node.id, pending);
    }
    const key = source ?? START_SOURCE;
    const previous = pending.bySource.get(key);
    pending.bySource.set(key, previous ? { ...previous, ...payload } : payload);
    for (const src of expected) if (!pending.bySource.has(src)) return undefined;

    this.#pending.delete(node.id);
    const order = [...expected, ...[...pending.bySource.keys()].filter((k) => !expected.includes(k)).sort()];
    const merged: Record<string, unknown> = {};
    for (const src of order) {
      const part = pending.bySource.get(src)!;
      for (const [k, v] of Object.entries(part)) {
        if (node.joinConflict === "error" && Object.prototype.hasOwnProperty.call(merged, k) && !isDeepStrictEqual(merged[k], v)) {
          throw new JoinConflictError(`join conflict at '${node.id}': key '${k}' differs between sources`);
        }
        setOwn(merged, k, v);
      }
    }
    if (node.joinMode === "namespace" && !(node.joinNamespaceKey in merged)) {
      merged[node.joinNamespaceKey] = Object.fromEntries(order.map((src) => [src, pending.bySource.get(src)]));
    }
    return merged;
  }

  /** Joins still waiting at the end of a run, with what they expected and saw. */
  unfinished(expectedOf: (nodeId: string) => string[]): string[] {
    return [...this.#pending.entries()].map(([nodeId, p]) => {
      const seen = [...p.bySource.keys()].sort();
      return `${nodeId} expected=[${expectedOf(nodeId).join(", ")}] seen=[${seen.join(", ")}]`;
    });
  }
}

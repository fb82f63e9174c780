/**
 * Full-history-mode dedup (reference §2.5): an arrival whose (node, payload) hash equals that
 * node's previous one is dropped. Canonical JSON: sorted keys, non-JSON values stringified.
 */
import { createHash } from "node:crypto";

function canonical(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (typeof value === "object") {
    const keys = Object.keys(value as object).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(",")}}`;
  }
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return JSON.stringify(value);
  return JSON.stringify(String(value));
}

export class DedupFilter {
  readonly #last = new Map<string, string>();

  /** True when this arrival repeats the node's previous payload and must be dropped. */
  isDuplicate(nodeId: string, payload: Record<string, unknown>): boolean {
    let hash: string;
    try {
      hash = createHash("sha256").update(canonical({ n: nodeId, i: payload })).digest("hex").slice(0, 16);
    } catch {
      return false;
    }
    if (this.#last.get(nodeId) === hash) return true;
    this.#last.set(nodeId, hash);
    return false;
  }
}

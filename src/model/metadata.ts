/**
 * Runtime settings read from `metadata` (reference flocks-engine.md §1.6 and §5.3), converted to
 * milliseconds and enums once, here.
 */
import { isPlainObject } from "./get-path.js";
import type { Workflow } from "./types.js";

export type DataflowMode = "legacy" | "vertex_cache";
export type OnNodeTimeout = "continue" | "fail";

export const DEFAULT_NODE_TIMEOUT_MS = 300_000;

function sections(metadata: Record<string, unknown>, names: string[]): Record<string, unknown>[] {
  const found: Record<string, unknown>[] = [metadata];
  for (const name of names) {
    const section = metadata[name];
    if (isPlainObject(section)) found.push(section);
  }
  return found;
}

/** The workflow's node timeout: `metadata.node_timeout_s` (or under `runtime_defaults`), else 300 s. */
export function metadataNodeTimeoutMs(workflow: Workflow): number | undefined {
  for (const section of sections(workflow.metadata, ["runtime_defaults"])) {
    for (const key of ["node_timeout_s", "nodeTimeoutS"]) {
      const v = section[key];
      if (typeof v === "number" && v > 0) return v * 1000;
    }
  }
  return undefined;
}

export function dataflowMode(workflow: Workflow): DataflowMode {
  for (const section of sections(workflow.metadata, ["runtime", "runtime_defaults", "runtimeDefaults"])) {
    for (const key of ["dataflow_mode", "dataflowMode"]) {
      const v = section[key];
      if (typeof v !== "string") continue;
      const mode = v.trim().toLowerCase().replace(/-/g, "_");
      if (mode === "vertex_cache" || mode === "vertex" || mode === "cache") return "vertex_cache";
      if (mode === "legacy" || mode === "classic" || mode === "default") return "legacy";
    }
  }
  return "legacy";
}

export function strictEdgeMapping(workflow: Workflow): boolean {
  for (const section of sections(workflow.metadata, ["runtime", "runtime_defaults", "runtimeDefaults"])) {
    for (const key of ["strict_edge_mapping", "strictEdgeMapping"]) {
      if (key in section) return truthy(section[key]);
    }
  }
  return false;
}

export function hasStrictMappingKey(workflow: Workflow): boolean {
  return sections(workflow.metadata, ["runtime", "runtime_defaults", "runtimeDefaults"]).some(
    (s) => "strict_edge_mapping" in s || "strictEdgeMapping" in s,
  );
}

export function onNodeTimeout(workflow: Workflow): OnNodeTimeout {
  const v = workflow.metadata.on_node_timeout ?? workflow.metadata.onNodeTimeout;
  return v === "fail" ? "fail" : "continue";
}

export function requirements(workflow: Workflow): string[] {
  let raw = workflow.metadata.requirements;
  if (isPlainObject(raw)) raw = raw.packages;
  if (!Array.isArray(raw)) return [];
  return raw
    .filter((r): r is string => typeof r === "string")
    .map((r) => r.trim())
    .filter((r) => r !== "")
    .sort();
}

export function truthy(value: unknown): boolean {
  if (typeof value === "boolean") return value;
  if (typeof value === "number") return value !== 0;
  if (typeof value === "string") return ["1", "true", "yes", "on"].includes(value.trim().toLowerCase());
  return false;
}

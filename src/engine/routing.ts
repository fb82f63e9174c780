/**
 * Which edges fire after a node, and what payload each carries (reference §2.6, §2.7, with the
 * SPEC §3 fixes: "" routes like null, numbers and booleans compare by canonical strings).
 */
import { LABEL_ROUTED_TYPES, type WorkflowEdge, type WorkflowNode } from "../model/types.js";
import { NOT_FOUND, lookupPath } from "../model/get-path.js";
import type { DataflowMode } from "../model/metadata.js";
import { setOwn } from "./own-key.js";

export interface Route {
  edge: WorkflowEdge;
  payload: Record<string, unknown>;
}

/** The routing label of a value: null, or its canonical string. */
export function labelOf(value: unknown): string | null {
  if (value === null || value === undefined || value === NOT_FOUND) return null;
  if (typeof value === "string") return value === "" ? null : value;
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

function selectValue(node: WorkflowNode, inputs: Record<string, unknown>, outputs: Record<string, unknown>, mode: DataflowMode): unknown {
  const key = node.selectKey ?? "result";
  if (mode === "vertex_cache") {
    const fromOutputs = lookupPath(outputs, key);
    return fromOutputs !== NOT_FOUND ? fromOutputs : lookupPath(inputs, key);
  }
  return lookupPath({ ...inputs, ...outputs }, key);
}

export function selectEdges(node: WorkflowNode, edges: WorkflowEdge[], inputs: Record<string, unknown>, outputs: Record<string, unknown>, mode: DataflowMode): WorkflowEdge[] {
  if (!LABEL_ROUTED_TYPES.has(node.type)) return edges;
  if (edges.length === 0) return edges;
  const label = labelOf(selectValue(node, inputs, outputs, mode));
  if (label !== null) {
    const matched = edges.filter((e) => e.label === label);
    if (matched.length > 0) return matched;
  }
  const fallback = edges.find((e) => e.label === null);
  return fallback ? [fallback] : [];
}

export function edgePayload(edge: WorkflowEdge, inputs: Record<string, unknown>, outputs: Record<string, unknown>, mode: DataflowMode): Record<string, unknown> {
  let payload: Record<string, unknown>;
  if (!edge.mapping) {
    payload = { ...inputs, ...outputs };
  } else {
    payload = {};
    const merged = mode === "legacy" ? { ...inputs, ...outputs } : undefined;
    for (const [dst, path] of Object.entries(edge.mapping)) {
      let value: unknown;
      if (merged) {
        value = lookupPath(merged, path);
      } else {
        value = path.trim() === "$" ? { ...inputs, ...outputs } : lookupPath(outputs, path);
        if (value === NOT_FOUND) value = lookupPath(inputs, path);
      }
      if (value !== NOT_FOUND) setOwn(payload, dst, value);
    }
  }
  if (edge.const) for (const key of Object.keys(edge.const)) setOwn(payload, key, edge.const[key]);
  return payload;
}

export function routesAfter(node: WorkflowNode, edges: WorkflowEdge[], inputs: Record<string, unknown>, outputs: Record<string, unknown>, mode: DataflowMode): Route[] {
  const selected = selectEdges(node, edges, inputs, outputs, mode);
  const routes: Route[] = new Array(selected.length);
  for (let i = 0; i < selected.length; i++) {
    routes[i] = { edge: selected[i]!, payload: edgePayload(selected[i]!, inputs, outputs, mode) };
  }
  return routes;
}


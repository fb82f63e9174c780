/** Small builders for in-memory workflows, so each test states its graph in a few lines. */
import { validateWorkflow } from "../../src/model/load-workflow.js";
import type { Workflow } from "../../src/model/types.js";

export type RawNode = Record<string, unknown> & { id: string };
export type RawEdge = Record<string, unknown> & { from: string; to: string };

export function workflow(start: string, nodes: RawNode[], edges: RawEdge[] = [], metadata: Record<string, unknown> = {}): Workflow {
  return validateWorkflow({ start, nodes, edges, metadata });
}

export const js = (id: string, code: string, extra: Record<string, unknown> = {}): RawNode => ({ id, type: "javascript", code, ...extra });
export const tool = (id: string, toolName: string, extra: Record<string, unknown> = {}): RawNode => ({ id, type: "tool", tool_name: toolName, ...extra });
export const branch = (id: string, extra: Record<string, unknown> = {}): RawNode => ({ id, type: "branch", ...extra });
export const edge = (from: string, to: string, extra: Record<string, unknown> = {}): RawEdge => ({ from, to, ...extra });

/** A straight chain n0 → n1 → … of the given node factory. */
export function chain(count: number, make: (id: string, i: number) => RawNode): Workflow {
  const nodes = Array.from({ length: count }, (_, i) => make(`n${i}`, i));
  const edges = nodes.slice(1).map((n, i) => edge(`n${i}`, n.id));
  return workflow("n0", nodes, edges);
}

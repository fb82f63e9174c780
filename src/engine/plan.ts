/**
 * The static shape of a workflow the loop needs, computed once per Workflow object and cached:
 * outgoing edges sorted by (order, target id), distinct expected sources of every join node.
 */
import type { Workflow, WorkflowEdge, WorkflowNode } from "../model/types.js";
import { dataflowMode, metadataNodeTimeoutMs, onNodeTimeout, type DataflowMode, type OnNodeTimeout } from "../model/metadata.js";

export interface Plan {
  workflow: Workflow;
  nodes: Map<string, WorkflowNode>;
  outgoing: Map<string, WorkflowEdge[]>;
  /** Sorted distinct source ids of each node's incoming edges. */
  joinSources: Map<string, string[]>;
  dataflowMode: DataflowMode;
  onNodeTimeout: OnNodeTimeout;
  metadataNodeTimeoutMs: number | undefined;
}

const cache = new WeakMap<Workflow, Plan>();

function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function planFor(workflow: Workflow): Plan {
  const cached = cache.get(workflow);
  if (cached) return cached;
  const nodes = new Map(workflow.nodes.map((n) => [n.id, n] as const));
  const outgoing = new Map<string, WorkflowEdge[]>();
  const incoming = new Map<string, Set<string>>();
  for (const node of workflow.nodes) {
    outgoing.set(node.id, []);
    incoming.set(node.id, new Set());
  }
  for (const edge of workflow.edges) {
    outgoing.get(edge.from)?.push(edge);
    incoming.get(edge.to)?.add(edge.from);
  }
  for (const edges of outgoing.values()) {
    edges.sort((a, b) => a.order - b.order || compareCodePoints(a.to, b.to));
  }
  const joinSources = new Map<string, string[]>();
  for (const node of workflow.nodes) {
    if (node.join) joinSources.set(node.id, [...incoming.get(node.id)!].sort(compareCodePoints));
  }
  const plan: Plan = {
    workflow,
    nodes,
    outgoing,
    joinSources,
    dataflowMode: dataflowMode(workflow),
    onNodeTimeout: onNodeTimeout(workflow),
    metadataNodeTimeoutMs: metadataNodeTimeoutMs(workflow),
  };
  cache.set(workflow, plan);
  return plan;
}

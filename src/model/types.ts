/**
 * The normalised workflow model. `validate-workflow.ts` turns a parsed `workflow.json` (Flocks'
 * format, snake_case and alias names accepted) into these shapes once; everything downstream reads
 * camelCase fields with units in their names.
 */

export const NODE_TYPES = [
  "python",
  "javascript",
  "logic",
  "branch",
  "loop",
  "tool",
  "llm",
  "http_request",
  "subworkflow",
] as const;
export type NodeType = (typeof NODE_TYPES)[number];

/** Node types whose outgoing edges are chosen by label (reference §2.6). */
export const LABEL_ROUTED_TYPES: ReadonlySet<NodeType> = new Set(["branch", "loop", "logic"]);

export type JoinMode = "flat" | "namespace";
export type JoinConflict = "overwrite" | "error";
export type CodeLanguage = "python" | "javascript";

export interface WorkflowNode {
  id: string;
  type: NodeType;
  /** Position in the file's `nodes` array, for error locations. */
  index: number;
  code?: string;
  description?: string;
  /** Path of the routing value; undefined means `result`. */
  selectKey?: string;
  join: boolean;
  joinMode: JoinMode;
  joinConflict: JoinConflict;
  joinNamespaceKey: string;
  inputSchema?: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
  toolName?: string;
  toolArgs?: Record<string, unknown>;
  prompt?: string;
  model?: string;
  outputKey?: string;
  method?: string;
  url?: string;
  headers?: Record<string, string>;
  body?: unknown;
  responseKey?: string;
  workflowId?: string;
  inputsMapping?: Record<string, string>;
  inputsConst?: Record<string, unknown>;
  /** SPEC §2 addition: this node's own deadline. */
  timeoutMs?: number;
  /** SPEC §2 addition, logic nodes: the language of generated code. */
  language?: CodeLanguage;
}

export interface WorkflowEdge {
  from: string;
  to: string;
  order: number;
  /** null is the default edge; "" is normalised to null (SPEC §3 "Fixed"). */
  label: string | null;
  mapping?: Record<string, string>;
  const?: Record<string, unknown>;
  /** Position in the file's `edges` array. */
  index: number;
}

/** Triggers are kept as written (Flocks keeps extra keys); the service normalises them. */
export type WorkflowTrigger = Record<string, unknown> & { type: string; id?: string };

export interface Workflow {
  start: string;
  nodes: WorkflowNode[];
  edges: WorkflowEdge[];
  triggers: WorkflowTrigger[];
  metadata: Record<string, unknown>;
  name?: string;
  description?: string;
  /** Absolute path of the file it was loaded from, when it came from disk. */
  sourcePath?: string;
}

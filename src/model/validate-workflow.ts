/**
 * Turns a parsed workflow.json value into the normalised model, collecting every issue with its
 * location (`nodes[2].code`, `edges[0].mapping.k`) instead of stopping at the first. Pure: loading
 * never executes anything. Rules follow reference flocks-engine.md §1; SPEC §2 additions
 * (`javascript` nodes, `timeout_s`, `language`, `metadata.on_node_timeout`) are checked here too.
 */
import type { ValidationIssue } from "../errors.js";
import { isPlainObject } from "./get-path.js";
import {
  NODE_TYPES,
  type CodeLanguage,
  type JoinConflict,
  type JoinMode,
  type NodeType,
  type Workflow,
  type WorkflowEdge,
  type WorkflowNode,
  type WorkflowTrigger,
} from "./types.js";

export interface ValidationResult {
  workflow: Workflow | undefined;
  issues: ValidationIssue[];
}

const REQUIRED_FIELD: Partial<Record<NodeType, Array<[field: string, names: string[]]>>> = {
  python: [["code", ["code"]]],
  javascript: [["code", ["code"]]],
  logic: [["description", ["description"]]],
  tool: [["tool_name", ["tool_name", "toolName"]]],
  llm: [["prompt", ["prompt"]]],
  http_request: [
    ["url", ["url"]],
    ["method", ["method"]],
  ],
  subworkflow: [["workflow_id", ["workflow_id", "workflowId"]]],
};

const TRIGGER_TYPES = new Set([
  "manual",
  "schedule",
  "webhook",
  "syslog",
  "kafka",
  "internal_event",
  "custom_webhook",
  "custom_adapter",
  "plugin",
]);

class IssueList {
  readonly items: ValidationIssue[] = [];
  error(location: string, rule: string, message: string): void {
    this.items.push({ location, rule, message, severity: "error" });
  }
  warn(location: string, rule: string, message: string): void {
    this.items.push({ location, rule, message, severity: "warning" });
  }
}

/** First present value among alias names. */
function pick(raw: Record<string, unknown>, names: string[]): [name: string, value: unknown] | undefined {
  for (const name of names) {
    if (raw[name] !== undefined) return [name, raw[name]];
  }
  return undefined;
}

export function validateWorkflowValue(value: unknown): ValidationResult {
  const issues = new IssueList();
  if (!isPlainObject(value)) {
    issues.error("$", "type", "the top level must be a JSON object");
    return { workflow: undefined, issues: issues.items };
  }

  const start = value.start;
  if (typeof start !== "string" || start.trim() === "") {
    issues.error("start", "required", "`start` must be a non-empty string naming the first node");
  }

  const nodes = readNodes(value.nodes, issues);
  const edges = readEdges(value.edges, issues);
  const triggers = readTriggers(value, issues);

  let metadata: Record<string, unknown> = {};
  if (value.metadata !== undefined && value.metadata !== null) {
    if (isPlainObject(value.metadata)) metadata = value.metadata;
    else issues.error("metadata", "type", "`metadata` must be an object or null");
  }
  checkMetadata(metadata, issues);

  // Graph checks use every node that has a usable id, even one with other field errors, so a bad
  // node is reported once (at its field) and not again as an unknown edge target.
  const ids = new Set<string>();
  const duplicates = new Set<string>();
  for (const id of rawNodeIds(value.nodes)) {
    if (ids.has(id)) duplicates.add(id);
    ids.add(id);
  }
  if (duplicates.size > 0) {
    issues.error("nodes", "duplicate_id", `duplicate node ids: ${[...duplicates].sort().join(", ")}`);
  }
  if (typeof start === "string" && start.trim() !== "" && !ids.has(start)) {
    issues.error("start", "unknown_node", `start node '${start}' is not among the nodes`);
  }
  for (const edge of edges) {
    if (edge.from !== "" && !ids.has(edge.from)) {
      issues.error(`edges[${edge.index}].from`, "unknown_node", `edge source '${edge.from}' is not a node`);
    }
    if (edge.to !== "" && !ids.has(edge.to)) {
      issues.error(`edges[${edge.index}].to`, "unknown_node", `edge target '${edge.to}' is not a node`);
    }
  }

  const hasErrors = issues.items.some((i) => i.severity === "error");
  if (hasErrors) return { workflow: undefined, issues: issues.items };

  const workflow: Workflow = {
    start: start as string,
    nodes,
    edges,
    triggers,
    metadata,
  };
  if (typeof value.name === "string") workflow.name = value.name;
  if (typeof value.description === "string") workflow.description = value.description;
  return { workflow, issues: issues.items };
}

function rawNodeIds(raw: unknown): string[] {
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((n) => (isPlainObject(n) && typeof n.id === "string" && n.id.trim() !== "" ? [n.id] : []));
}

function readNodes(raw: unknown, issues: IssueList): WorkflowNode[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    issues.error("nodes", "type", "`nodes` must be a list");
    return [];
  }
  const nodes: WorkflowNode[] = [];
  raw.forEach((item, index) => {
    const node = readNode(item, index, issues);
    if (node) nodes.push(node);
  });
  return nodes;
}

function readNode(raw: unknown, index: number, issues: IssueList): WorkflowNode | undefined {
  const at = `nodes[${index}]`;
  if (!isPlainObject(raw)) {
    issues.error(at, "type", "a node must be an object");
    return undefined;
  }
  let ok = true;
  const id = raw.id;
  if (typeof id !== "string" || id.trim() === "") {
    issues.error(`${at}.id`, "required", "`id` must be a non-empty string");
    ok = false;
  }
  const rawType = raw.type ?? "python";
  if (typeof rawType !== "string" || !(NODE_TYPES as readonly string[]).includes(rawType)) {
    issues.error(`${at}.type`, "enum", `\`type\` must be one of ${NODE_TYPES.join(", ")}; got ${JSON.stringify(rawType)}`);
    return undefined;
  }
  const type = rawType as NodeType;

  for (const [field, names] of REQUIRED_FIELD[type] ?? []) {
    const found = pick(raw, names);
    const present = found !== undefined && found[1] !== null;
    // A present non-string value is reported once, as a type error, by str() below.
    if (!present || (typeof found[1] === "string" && found[1].trim() === "")) {
      issues.error(`${at}.${field}`, "required", `a ${type} node needs a non-blank \`${field}\``);
      ok = false;
    }
  }

  const str = (names: string[]): string | undefined => {
    const found = pick(raw, names);
    if (!found || found[1] === null) return undefined;
    if (typeof found[1] !== "string") {
      issues.error(`${at}.${found[0]}`, "type", `\`${found[0]}\` must be a string`);
      ok = false;
      return undefined;
    }
    return found[1];
  };
  const obj = (names: string[]): Record<string, unknown> | undefined => {
    const found = pick(raw, names);
    if (!found || found[1] === null) return undefined;
    if (!isPlainObject(found[1])) {
      issues.error(`${at}.${found[0]}`, "type", `\`${found[0]}\` must be an object`);
      ok = false;
      return undefined;
    }
    return found[1];
  };
  const stringMap = (names: string[]): Record<string, string> | undefined => {
    const map = obj(names);
    if (!map) return undefined;
    const name = pick(raw, names)![0];
    for (const [key, value] of Object.entries(map)) {
      if (typeof value !== "string") {
        issues.error(`${at}.${name}.${key}`, "type", `values of \`${name}\` must be strings; got ${JSON.stringify(value)}`);
        ok = false;
      }
    }
    return map as Record<string, string>;
  };
  const oneOf = <T extends string>(names: string[], allowed: readonly T[], fallback: T): T => {
    const value = str(names);
    if (value === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(value)) {
      const name = pick(raw, names)![0];
      issues.error(`${at}.${name}`, "enum", `\`${name}\` must be one of ${allowed.join(", ")}; got "${value}"`);
      ok = false;
      return fallback;
    }
    return value as T;
  };

  const node: WorkflowNode = {
    id: typeof id === "string" ? id : "",
    type,
    index,
    join: raw.join === true,
    joinMode: oneOf<JoinMode>(["join_mode", "joinMode"], ["flat", "namespace"], "flat"),
    joinConflict: oneOf<JoinConflict>(["join_conflict", "joinConflict"], ["overwrite", "error"], "overwrite"),
    joinNamespaceKey: str(["join_namespace_key", "joinNamespaceKey"]) ?? "__by_source__",
  };
  if (raw.join !== undefined && raw.join !== null && typeof raw.join !== "boolean") {
    issues.error(`${at}.join`, "type", "`join` must be true or false");
    ok = false;
  }

  const code = str(["code"]);
  // Branch and loop nodes never execute code; a blank one is dropped (reference §1.2).
  if (code !== undefined && !(code.trim() === "" && (type === "branch" || type === "loop"))) node.code = code;
  assign(node, "description", str(["description"]));
  const selectKey = str(["select_key", "selectKey"]);
  if (selectKey !== undefined && selectKey.trim() !== "") node.selectKey = selectKey;
  assign(node, "inputSchema", obj(["input_schema", "inputSchema"]));
  assign(node, "outputSchema", obj(["output_schema", "outputSchema"]));
  assign(node, "toolName", str(["tool_name", "toolName"]));
  assign(node, "toolArgs", obj(["tool_args", "toolArgs"]));
  assign(node, "prompt", str(["prompt"]));
  assign(node, "model", str(["model"]));
  assign(node, "outputKey", str(["output_key", "outputKey"]));
  assign(node, "method", str(["method"]));
  assign(node, "url", str(["url"]));
  assign(node, "headers", stringMap(["headers"]));
  if (raw.body !== undefined && raw.body !== null) node.body = raw.body;
  assign(node, "responseKey", str(["response_key", "responseKey"]));
  assign(node, "workflowId", str(["workflow_id", "workflowId"]));
  assign(node, "inputsMapping", stringMap(["inputs_mapping", "inputsMapping"]));
  assign(node, "inputsConst", obj(["inputs_const", "inputsConst"]));

  const timeout = pick(raw, ["timeout_s", "timeoutS"]);
  if (timeout && timeout[1] !== null) {
    if (typeof timeout[1] !== "number" || !Number.isFinite(timeout[1]) || timeout[1] <= 0) {
      issues.error(`${at}.${timeout[0]}`, "type", "`timeout_s` must be a positive number of seconds");
      ok = false;
    } else {
      node.timeoutMs = timeout[1] * 1000;
    }
  }
  const language = str(["language"]);
  if (language !== undefined) {
    if (language !== "python" && language !== "javascript") {
      issues.error(`${at}.language`, "enum", `\`language\` must be python or javascript; got "${language}"`);
      ok = false;
    } else {
      node.language = language as CodeLanguage;
    }
  }
  return ok ? node : undefined;
}

function assign<K extends keyof WorkflowNode>(node: WorkflowNode, key: K, value: WorkflowNode[K] | undefined): void {
  if (value !== undefined) node[key] = value;
}

function readEdges(raw: unknown, issues: IssueList): WorkflowEdge[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    issues.error("edges", "type", "`edges` must be a list");
    return [];
  }
  const edges: WorkflowEdge[] = [];
  raw.forEach((item, index) => {
    const at = `edges[${index}]`;
    if (!isPlainObject(item)) {
      issues.error(at, "type", "an edge must be an object");
      return;
    }
    let ok = true;
    const from = item.from ?? item.from_;
    const to = item.to;
    if (typeof from !== "string" || from.trim() === "") {
      issues.error(`${at}.from`, "required", "`from` must be a non-empty string");
      ok = false;
    }
    if (typeof to !== "string" || to.trim() === "") {
      issues.error(`${at}.to`, "required", "`to` must be a non-empty string");
      ok = false;
    }
    let order = 0;
    if (item.order !== undefined && item.order !== null) {
      if (typeof item.order !== "number" || !Number.isInteger(item.order) || item.order < 0) {
        issues.error(`${at}.order`, "type", "`order` must be an integer >= 0");
        ok = false;
      } else {
        order = item.order;
      }
    }
    let label: string | null = null;
    if (item.label !== undefined && item.label !== null) {
      if (typeof item.label === "string") label = item.label === "" ? null : item.label;
      else if (typeof item.label === "boolean" || typeof item.label === "number") label = String(item.label);
      else {
        issues.error(`${at}.label`, "type", "`label` must be a string or null");
        ok = false;
      }
    }
    const edge: WorkflowEdge = {
      from: typeof from === "string" ? from : "",
      to: typeof to === "string" ? to : "",
      order,
      label,
      index,
    };
    if (item.mapping !== undefined && item.mapping !== null) {
      if (!isPlainObject(item.mapping)) {
        issues.error(`${at}.mapping`, "type", "`mapping` must be an object of destination key → source path");
        ok = false;
      } else {
        for (const [key, path] of Object.entries(item.mapping)) {
          if (typeof path !== "string") {
            issues.error(`${at}.mapping.${key}`, "type", `mapping values must be path strings; got ${JSON.stringify(path)}`);
            ok = false;
          }
        }
        edge.mapping = item.mapping as Record<string, string>;
      }
    }
    if (item.const !== undefined && item.const !== null) {
      if (!isPlainObject(item.const)) {
        issues.error(`${at}.const`, "type", "`const` must be an object");
        ok = false;
      } else {
        edge.const = item.const;
      }
    }
    // Kept even when a field is bad, so `from`/`to` are still checked against the nodes; any error
    // means no workflow is returned.
    if (ok || (typeof from === "string" && typeof to === "string")) edges.push(edge);
  });
  return edges;
}

function readTriggers(value: Record<string, unknown>, issues: IssueList): WorkflowTrigger[] {
  let raw = value.triggers;
  let prefix = "triggers";
  if ((raw === undefined || raw === null || (Array.isArray(raw) && raw.length === 0)) && isPlainObject(value.metadata)) {
    if (Array.isArray(value.metadata.triggers)) {
      raw = value.metadata.triggers;
      prefix = "metadata.triggers";
    }
  }
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    issues.error("triggers", "type", "`triggers` must be a list");
    return [];
  }
  const triggers: WorkflowTrigger[] = [];
  raw.forEach((item, index) => {
    if (!isPlainObject(item)) {
      issues.error(`${prefix}[${index}]`, "type", "a trigger must be an object");
      return;
    }
    if (typeof item.type !== "string" || !TRIGGER_TYPES.has(item.type)) {
      issues.error(`${prefix}[${index}].type`, "enum", `\`type\` must be one of ${[...TRIGGER_TYPES].join(", ")}`);
      return;
    }
    triggers.push(item as WorkflowTrigger);
  });
  return triggers;
}

function checkMetadata(metadata: Record<string, unknown>, issues: IssueList): void {
  const policyKey = metadata.on_node_timeout !== undefined ? "on_node_timeout" : "onNodeTimeout";
  const policy = metadata[policyKey];
  if (policy !== undefined && policy !== "continue" && policy !== "fail") {
    issues.error(`metadata.${policyKey}`, "enum", `must be "continue" or "fail"; got ${JSON.stringify(policy)}`);
  }
  for (const key of ["node_timeout_s", "nodeTimeoutS"]) {
    const v = metadata[key];
    if (v !== undefined && v !== null && (typeof v !== "number" || !Number.isFinite(v))) {
      issues.error(`metadata.${key}`, "type", "must be a number of seconds");
    }
  }
}

/**
 * Static lint of a validated workflow (reference flocks-engine.md §6, Flocks' `lint_workflow`).
 * Lint never changes what is valid: `validate` reports findings next to validation issues, and
 * only the findings `isBlockingFinding` accepts stop `run`, exactly the ones Flocks' runner rejects
 * (an unmapped edge under strict mapping, and schema errors). Everything else is advice.
 *
 * Findings come out in a fixed order (rule by rule, then file order), so CLI output and tests are
 * stable.
 */
import { isPlainObject } from "./get-path.js";
import { hasStrictMappingKey, strictEdgeMapping } from "./metadata.js";
import { LABEL_ROUTED_TYPES, type Workflow, type WorkflowEdge, type WorkflowNode } from "./types.js";

export interface LintFinding {
  kind: string;
  severity: "error" | "warning";
  message: string;
  /** `edges[2].mapping.k`, `edges[0]`, `nodes[1]`, `triggers[0]`. */
  location: string;
  nodeId?: string;
  edgeIndex?: number;
}

export interface LintOptions {
  /** The workflow is linted as someone's sub-workflow: enables SW-001. */
  asSubworkflow?: boolean;
  /** Workflow ids a `subworkflow` node may name: enables SW-002. */
  knownWorkflowIds?: Set<string>;
}

const SCHEMA_KINDS = new Set([
  "schema_mapping_src_not_declared",
  "schema_mapping_dst_not_declared",
  "schema_mapping_type_mismatch",
  "schema_mapping_large_payload",
  "schema_required_input_missing",
]);

/** The findings that stop `run`, as Flocks' runner does; the rest are shown only. */
export function isBlockingFinding(finding: LintFinding): boolean {
  if (finding.severity !== "error") return false;
  return finding.kind === "implicit_full_payload_edge" || SCHEMA_KINDS.has(finding.kind);
}

export function lintWorkflow(workflow: Workflow, options: LintOptions = {}): LintFinding[] {
  const byId = new Map(workflow.nodes.map((node) => [node.id, node]));
  const findings: LintFinding[] = [];
  findings.push(...lintImplicitFullPayloadEdges(workflow));
  findings.push(...lintRecommendStrictMapping(workflow));
  findings.push(...lintMappingSources(workflow, byId));
  findings.push(...lintSchemas(workflow, byId));
  findings.push(...lintMultiIncoming(workflow, byId));
  if (options.asSubworkflow) findings.push(...lintNestedSubworkflows(workflow));
  if (options.knownWorkflowIds) findings.push(...lintSubworkflowIds(workflow, options.knownWorkflowIds));
  findings.push(...lintLabelDeadEnds(workflow));
  return findings;
}

const nodeAt = (node: WorkflowNode): string => `nodes[${node.index}]`;
const edgeAt = (edge: WorkflowEdge): string => `edges[${edge.index}]`;
const quote = (s: string): string => JSON.stringify(s);

// Rule 1. An empty mapping object passes the full payload too, as in Flocks (`if edge.mapping`).
function lintImplicitFullPayloadEdges(workflow: Workflow): LintFinding[] {
  const strict = strictEdgeMapping(workflow);
  return workflow.edges
    .filter((edge) => !edge.mapping || Object.keys(edge.mapping).length === 0)
    .map((edge) => ({
      kind: "implicit_full_payload_edge",
      severity: strict ? "error" : "warning",
      message:
        `edge ${quote(edge.from)} -> ${quote(edge.to)} has no mapping; the full upstream payload is passed on` +
        (strict ? " (metadata strict_edge_mapping is on)" : ""),
      location: edgeAt(edge),
      edgeIndex: edge.index,
    }));
}

const HIGH_VOLUME_TRIGGERS = new Set(["syslog", "kafka", "schedule"]);

// Rule 2. Only when no strict-mapping key is written anywhere: an explicit `false` is a decision.
function lintRecommendStrictMapping(workflow: Workflow): LintFinding[] {
  if (hasStrictMappingKey(workflow)) return [];
  const first = workflow.triggers.findIndex((t) => HIGH_VOLUME_TRIGGERS.has(t.type));
  if (first < 0) return [];
  const types = [...new Set(workflow.triggers.map((t) => t.type).filter((t) => HIGH_VOLUME_TRIGGERS.has(t)))].sort();
  // Triggers may have been read from `metadata.triggers` (reference §1.1); point at where they are.
  const fromMetadata = Array.isArray(workflow.metadata.triggers) && workflow.metadata.triggers.includes(workflow.triggers[first]);
  return [
    {
      kind: "recommend_strict_edge_mapping",
      severity: "warning",
      message:
        `triggered by ${types.join(", ")}, this workflow may see high-volume payloads; set ` +
        "metadata.runtime.strict_edge_mapping=true, metadata.runtime.dataflow_mode=\"vertex_cache\" " +
        "and give every edge an explicit mapping",
      location: `${fromMetadata ? "metadata.triggers" : "triggers"}[${first}]`,
    },
  ];
}

/** Head key of a mapping source path: `$.a.b` → `a`; `$` stays `$`; blank → "". */
function headKey(path: string): string {
  const trimmed = path.trim();
  if (trimmed === "$") return "$";
  const body = trimmed.startsWith("$.") ? trimmed.slice(2) : trimmed;
  return body === "" ? "" : body.split(".", 1)[0]!;
}

const PY_OUTPUT_SUBSCRIPT = /outputs\[\s*['"]([^'"]+)['"]\s*\]/g;
const JS_OUTPUT_SUBSCRIPT = /\boutputs\s*\[\s*(['"])((?:(?!\1).)+)\1\s*\]/g;
// `outputs.k`, but not a method call such as `outputs.hasOwnProperty(`.
const JS_OUTPUT_MEMBER = /\boutputs\s*\.\s*([A-Za-z_$][\w$]*)(?!\s*\()/g;
// The whole object replaced (`outputs = {...}`): its keys can't be read off subscripts.
const JS_OUTPUT_REASSIGNED = /\boutputs\s*=(?!=)/;
const LOGIC_OUTPUT_CLAUSE = /(?:输出|\bOutputs?)\s*[:：]\s*([^\n。；;]+)/i;
const LOGIC_OUTPUT_SECTION = /^\s*输出要求\s*[:：]?\s*$/;
const LOGIC_OUTPUT_BULLET = /^\s*[-*]\s*([A-Za-z0-9_-]+)\s*[:：]/;

/**
 * The output keys a node probably writes. Empty means "unknown", and no check is made: a guess
 * that misses keys would turn into false warnings.
 */
export function estimateOutputKeys(node: WorkflowNode): Set<string> {
  const keys = new Set<string>();
  switch (node.type) {
    case "python":
      for (const m of (node.code ?? "").matchAll(PY_OUTPUT_SUBSCRIPT)) addKey(keys, m[1]);
      return keys;
    case "javascript": {
      const code = node.code ?? "";
      if (JS_OUTPUT_REASSIGNED.test(code)) return keys;
      for (const m of code.matchAll(JS_OUTPUT_SUBSCRIPT)) addKey(keys, m[2]);
      for (const m of code.matchAll(JS_OUTPUT_MEMBER)) addKey(keys, m[1]);
      return keys;
    }
    case "logic":
      estimateLogicKeys(node.description ?? "", keys);
      return keys;
    case "tool":
    case "llm":
      keys.add(node.outputKey || "result");
      return keys;
    case "http_request":
      keys.add(node.responseKey || "response");
      keys.add("status_code");
      return keys;
    case "subworkflow":
      keys.add(node.outputKey || "output");
      return keys;
    default:
      // branch / loop: outputs are {}, the payload downstream is their inputs; nothing to estimate.
      return keys;
  }
}

function addKey(keys: Set<string>, raw: string | undefined): void {
  const key = raw?.trim();
  if (key) keys.add(key);
}

function estimateLogicKeys(description: string, keys: Set<string>): void {
  const clause = LOGIC_OUTPUT_CLAUSE.exec(description);
  // Also split on "." so an English clause's full stop does not end up in the last key (a key
  // with a dot is unreachable by any mapping path anyway).
  if (clause) for (const part of clause[1]!.split(/[，,、\s.]+/)) addKey(keys, part);
  let inSection = false;
  for (const line of description.split(/\r?\n/)) {
    if (LOGIC_OUTPUT_SECTION.test(line)) {
      inSection = true;
      continue;
    }
    if (!inSection || line.trim() === "") continue;
    const bullet = LOGIC_OUTPUT_BULLET.exec(line);
    if (!bullet) break;
    addKey(keys, bullet[1]);
  }
}

// Rule 3.
function lintMappingSources(workflow: Workflow, byId: Map<string, WorkflowNode>): LintFinding[] {
  const findings: LintFinding[] = [];
  const knownInputs = staticInputKeys(workflow);
  for (const edge of workflow.edges) {
    if (!edge.mapping) continue;
    const upstream = byId.get(edge.from);
    const estimated = upstream ? estimateOutputKeys(upstream) : new Set<string>();
    if (estimated.size === 0) continue;
    // A mapping resolves against the upstream node's outputs and then its inputs (both dataflow
    // modes), so a key the upstream node is known to receive is available too.
    const passedThrough = knownInputs.get(edge.from);
    for (const [dst, src] of Object.entries(edge.mapping)) {
      const head = headKey(src);
      if (head === "" || head === "$" || estimated.has(head) || passedThrough?.has(head)) continue;
      findings.push({
        kind: "mapping_src_key_not_in_upstream_outputs",
        severity: "warning",
        message:
          `mapping source ${quote(src)} is not among the outputs node ${quote(edge.from)} appears to write ` +
          `(${[...estimated].sort().join(", ")}); ${quote(dst)} may be missing downstream`,
        location: `${edgeAt(edge)}.mapping.${dst}`,
        edgeIndex: edge.index,
      });
    }
  }
  return findings;
}

/**
 * The input keys of each node that can be known without running anything: those of a node (other
 * than the start node, whose inputs come from the caller) whose every incoming edge has a mapping
 * are the mapped and const keys. Flocks does not look at inputs; this only removes warnings for
 * keys that provably reach the upstream node.
 */
function staticInputKeys(workflow: Workflow): Map<string, Set<string>> {
  const keys = new Map<string, Set<string>>();
  const unknown = new Set<string>([workflow.start]);
  for (const edge of workflow.edges) {
    if (unknown.has(edge.to)) continue;
    if (!edge.mapping) {
      unknown.add(edge.to);
      keys.delete(edge.to);
      continue;
    }
    const set = keys.get(edge.to) ?? new Set<string>();
    for (const key of Object.keys(edge.mapping)) set.add(key);
    for (const key of Object.keys(edge.const ?? {})) set.add(key);
    keys.set(edge.to, set);
  }
  return keys;
}

interface SchemaField {
  type: string;
  required: boolean;
  large: boolean;
}

const TYPE_ALIASES: Record<string, string> = {
  array: "list",
  sequence: "list",
  object: "dict",
  map: "dict",
  integer: "int",
  number: "float",
  boolean: "bool",
  text: "str",
  string: "str",
};

function typeName(raw: unknown): string {
  const name = raw === undefined || raw === null ? "" : String(raw).trim().toLowerCase();
  return TYPE_ALIASES[name] ?? name;
}

/** `{fields: {...}}` or a plain map; a field is a type name or `{type, required, large}`. */
function schemaFields(schema: Record<string, unknown> | undefined): Map<string, SchemaField> {
  const fields = new Map<string, SchemaField>();
  if (!schema) return fields;
  const raw = isPlainObject(schema.fields) ? schema.fields : schema;
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value === "string") fields.set(key, { type: typeName(value), required: false, large: false });
    else if (isPlainObject(value)) {
      fields.set(key, { type: typeName(value.type), required: Boolean(value.required), large: Boolean(value.large) });
    } else fields.set(key, { type: "", required: false, large: false });
  }
  return fields;
}

function typesCompatible(src: string, dst: string): boolean {
  if (src === "" || dst === "" || src === dst || src === "any" || dst === "any") return true;
  const numeric = new Set(["int", "float"]);
  return numeric.has(src) && numeric.has(dst);
}

// Rule 4. Opt-in: only nodes that declare a schema are checked.
function lintSchemas(workflow: Workflow, byId: Map<string, WorkflowNode>): LintFinding[] {
  const findings: LintFinding[] = [];
  const provided = new Map<string, Set<string>>();
  for (const edge of workflow.edges) {
    if (!byId.has(edge.to)) continue;
    const keys = provided.get(edge.to) ?? new Set<string>();
    for (const key of Object.keys(edge.mapping ?? {})) keys.add(key);
    for (const key of Object.keys(edge.const ?? {})) keys.add(key);
    provided.set(edge.to, keys);
  }

  for (const edge of workflow.edges) {
    if (!edge.mapping) continue;
    const upstream = byId.get(edge.from);
    const downstream = byId.get(edge.to);
    if (!upstream || !downstream) continue;
    const outputs = schemaFields(upstream.outputSchema);
    const inputs = schemaFields(downstream.inputSchema);
    for (const [dst, src] of Object.entries(edge.mapping)) {
      const head = headKey(src);
      const out = outputs.get(head);
      const input = inputs.get(dst);
      const base = { severity: "error" as const, location: `${edgeAt(edge)}.mapping.${dst}`, edgeIndex: edge.index };
      if (outputs.size > 0 && head !== "" && head !== "$" && !out) {
        findings.push({
          ...base,
          kind: "schema_mapping_src_not_declared",
          message: `maps source ${quote(src)}, but node ${quote(edge.from)} outputSchema does not declare ${quote(head)} (declared: ${[...outputs.keys()].sort().join(", ")})`,
        });
        continue;
      }
      if (inputs.size > 0 && !input) {
        findings.push({
          ...base,
          kind: "schema_mapping_dst_not_declared",
          message: `maps to input ${quote(dst)}, but node ${quote(edge.to)} inputSchema does not declare it (declared: ${[...inputs.keys()].sort().join(", ")})`,
        });
        continue;
      }
      if (!out || !input) continue;
      if (!typesCompatible(out.type, input.type)) {
        findings.push({
          ...base,
          kind: "schema_mapping_type_mismatch",
          message: `maps ${quote(head)} (${out.type}) of node ${quote(edge.from)} to ${quote(dst)} (${input.type}) of node ${quote(edge.to)}`,
        });
      }
      if (out.large && !input.large) {
        findings.push({
          ...base,
          kind: "schema_mapping_large_payload",
          message: `maps large output ${quote(head)} of node ${quote(edge.from)} to input ${quote(dst)}, which is not marked large`,
        });
      }
    }
  }

  for (const node of workflow.nodes) {
    // The start node's inputs come from the caller, not from edges.
    if (node.id === workflow.start) continue;
    const inputs = schemaFields(node.inputSchema);
    const have = provided.get(node.id) ?? new Set<string>();
    const missing = [...inputs].filter(([key, field]) => field.required && !have.has(key)).map(([key]) => key).sort();
    if (missing.length === 0) continue;
    findings.push({
      kind: "schema_required_input_missing",
      severity: "error",
      message: `node ${quote(node.id)} inputSchema requires inputs no incoming mapping or const provides: ${missing.join(", ")}`,
      location: `${nodeAt(node)}.inputSchema`,
      nodeId: node.id,
    });
  }
  return findings;
}

const EXPENSIVE_CALL = /llm\.ask(?:Async)?\s*\(|tool\.run(?:Async)?\s*\(\s*['"]write['"]/;

/**
 * A node that costs money or writes files each time it runs. Flocks looks only at code and
 * description; an `llm` node and a `write` tool node are expensive by construction.
 */
function isExpensive(node: WorkflowNode): boolean {
  if (node.type === "llm" || (node.type === "tool" && node.toolName === "write")) return true;
  return EXPENSIVE_CALL.test(node.code ?? "") || EXPENSIVE_CALL.test(node.description ?? "");
}

/**
 * Per label-routed node, the targets it chooses between: its labelled edges and its first default
 * edge. At run time only the edges whose label matches fire, else the first default edge, so these
 * targets are alternatives. Flocks counts only labelled targets of branch and loop nodes; the
 * default target is just as exclusive (flockflow decision, docs/decisions.md), and logic nodes
 * route by label too (reference §2.6).
 */
function exclusiveGroups(workflow: Workflow, byId: Map<string, WorkflowNode>): Set<string>[] {
  const groups = new Map<string, Set<string>>();
  const hasDefault = new Set<string>();
  for (const edge of workflow.edges) {
    const source = byId.get(edge.from);
    if (!source || !LABEL_ROUTED_TYPES.has(source.type)) continue;
    if (edge.label === null) {
      if (hasDefault.has(edge.from)) continue;
      hasDefault.add(edge.from);
    }
    const group = groups.get(edge.from) ?? new Set<string>();
    group.add(edge.to);
    groups.set(edge.from, group);
  }
  return [...groups.values()];
}

// Rules 5 and 6. A loop node is exempt: the way in and the way back are both its incoming edges.
function lintMultiIncoming(workflow: Workflow, byId: Map<string, WorkflowNode>): LintFinding[] {
  const incoming = new Map<string, string[]>();
  for (const edge of workflow.edges) {
    const sources = incoming.get(edge.to) ?? [];
    sources.push(edge.from);
    incoming.set(edge.to, sources);
  }
  const groups = exclusiveGroups(workflow, byId);
  const multi: LintFinding[] = [];
  const expensive: LintFinding[] = [];
  for (const node of workflow.nodes) {
    const sources = incoming.get(node.id) ?? [];
    if (sources.length < 2 || node.join || node.type === "loop") continue;
    const distinct = [...new Set(sources)].sort();
    if (groups.some((group) => distinct.every((s) => group.has(s)))) continue;
    const from = distinct.map(quote).join(", ");
    multi.push({
      kind: "multi_incoming_no_join",
      severity: "warning",
      message: `node ${quote(node.id)} has ${sources.length} incoming edges from ${from} that can all fire, and join is false: it may run once per arrival; set "join": true or restructure the edges`,
      location: nodeAt(node),
      nodeId: node.id,
    });
    if (isExpensive(node)) {
      expensive.push({
        kind: "expensive_node_multi_trigger",
        severity: "error",
        message: `node ${quote(node.id)} calls an LLM or writes files and has ${sources.length} incoming edges from ${from} without a join: it may run, and cost, several times`,
        location: nodeAt(node),
        nodeId: node.id,
      });
    }
  }
  return [...multi, ...expensive];
}

// Rule 7, SW-001: sub-workflows are one level deep (SPEC §3).
function lintNestedSubworkflows(workflow: Workflow): LintFinding[] {
  return workflow.nodes
    .filter((node) => node.type === "subworkflow")
    .map((node) => ({
      kind: "SW-001",
      severity: "error",
      message: `node ${quote(node.id)} is a subworkflow node, but this workflow runs as a sub-workflow: nesting is limited to one level`,
      location: nodeAt(node),
      nodeId: node.id,
    }));
}

// Rule 7, SW-002.
function lintSubworkflowIds(workflow: Workflow, known: Set<string>): LintFinding[] {
  const findings: LintFinding[] = [];
  for (const node of workflow.nodes) {
    if (node.type !== "subworkflow") continue;
    const id = node.workflowId?.trim() ?? "";
    if (id !== "" && known.has(id)) continue;
    findings.push({
      kind: "SW-002",
      severity: "error",
      message:
        id === ""
          ? `subworkflow node ${quote(node.id)} has no workflow_id`
          : `subworkflow node ${quote(node.id)} names workflow_id ${quote(id)}, which is not a known workflow`,
      location: `${nodeAt(node)}.workflow_id`,
      nodeId: node.id,
    });
  }
  return findings;
}

/**
 * flockflow's own rule: a label-routed node with outgoing edges but no default (unlabelled) edge
 * stops the run's path silently when the routing value matches no label (reference §8.10).
 */
function lintLabelDeadEnds(workflow: Workflow): LintFinding[] {
  const outgoing = new Map<string, WorkflowEdge[]>();
  for (const edge of workflow.edges) {
    const list = outgoing.get(edge.from) ?? [];
    list.push(edge);
    outgoing.set(edge.from, list);
  }
  const findings: LintFinding[] = [];
  for (const node of workflow.nodes) {
    if (!LABEL_ROUTED_TYPES.has(node.type)) continue;
    const edges = outgoing.get(node.id) ?? [];
    if (edges.length === 0 || edges.some((edge) => edge.label === null)) continue;
    const labels = [...new Set(edges.map((edge) => edge.label as string))].map(quote).join(", ");
    findings.push({
      kind: "label_dead_end",
      severity: "warning",
      message: `node ${quote(node.id)} routes by ${quote(node.selectKey ?? "result")} over labels ${labels} with no default edge: any other value ends this path silently; add an unlabelled edge`,
      location: nodeAt(node),
      nodeId: node.id,
    });
  }
  return findings;
}

/**
 * `flockflow graph`: a workflow as Mermaid or Graphviz DOT text. Output depends only on the
 * workflow (nodes and edges in file order), so it can be diffed and snapshotted.
 *
 * Node ids are user text and may hold anything (`a-->b`, quotes, backslashes). Mermaid has no
 * quoting for identifiers, so nodes get generated ids (n0, n1, … in file order) and the real id is
 * only ever a quoted, entity-escaped label. DOT quotes identifiers, so the real id is kept there.
 */
import type { NodeType, Workflow, WorkflowNode } from "./types.js";

export type GraphFormat = "mermaid" | "dot";

export function renderGraph(workflow: Workflow, format: GraphFormat): string {
  return format === "dot" ? renderDot(workflow) : renderMermaid(workflow);
}

/** Mermaid shape brackets per node type: branch/loop are decisions (rhombus). */
const MERMAID_SHAPES: Record<NodeType, [open: string, close: string]> = {
  python: ["[", "]"],
  javascript: ["[", "]"],
  logic: ["{{", "}}"],
  branch: ["{", "}"],
  loop: ["{", "}"],
  tool: ["[/", "/]"],
  llm: ["([", "])"],
  http_request: ["[\\", "\\]"],
  subworkflow: ["[[", "]]"],
};

const DOT_SHAPES: Record<NodeType, string> = {
  python: "box",
  javascript: "box",
  logic: "hexagon",
  branch: "diamond",
  loop: "diamond",
  tool: "parallelogram",
  llm: "ellipse",
  http_request: "trapezium",
  subworkflow: "box3d",
};

function nodeLabel(node: WorkflowNode): string {
  return node.join ? `${node.id} (join)` : node.id;
}

/**
 * Mermaid entity codes (`#quot;`, `#35;`): inside a quoted label they keep `"`, `|`, `<`, `>` and
 * backticks from ending the label, starting an edge, becoming HTML or a markdown string. `#` goes
 * first so the codes themselves are not escaped again.
 */
export function escapeMermaidLabel(text: string): string {
  return text
    .replace(/#/g, "#35;")
    .replace(/"/g, "#quot;")
    .replace(/&/g, "#amp;")
    .replace(/</g, "#lt;")
    .replace(/>/g, "#gt;")
    .replace(/\|/g, "#124;")
    .replace(/`/g, "#96;")
    .replace(/\r?\n|\r/g, " ");
}

function renderMermaid(workflow: Workflow): string {
  const ids = generatedIds(workflow);
  const lines = ["flowchart TD", '  start(("start"))'];
  for (const node of workflow.nodes) {
    const [open, close] = MERMAID_SHAPES[node.type];
    lines.push(`  ${ids.get(node.id)}${open}"${escapeMermaidLabel(nodeLabel(node))}"${close}`);
  }
  const startId = ids.get(workflow.start);
  if (startId) lines.push(`  start --> ${startId}`);
  for (const edge of workflow.edges) {
    const arrow = edge.label === null ? "-->" : `-->|"${escapeMermaidLabel(edge.label)}"|`;
    lines.push(`  ${ids.get(edge.from)} ${arrow} ${ids.get(edge.to)}`);
  }
  const joins = workflow.nodes.filter((node) => node.join).map((node) => ids.get(node.id));
  if (joins.length > 0) {
    lines.push("  classDef join stroke-width:3px");
    lines.push(`  class ${joins.join(",")} join`);
  }
  return `${lines.join("\n")}\n`;
}

/** n0, n1, … by position; an edge end that names no node (unvalidated input) gets one too. */
function generatedIds(workflow: Workflow): Map<string, string> {
  const ids = new Map<string, string>();
  const add = (id: string): void => {
    if (!ids.has(id)) ids.set(id, `n${ids.size}`);
  };
  for (const node of workflow.nodes) add(node.id);
  for (const edge of workflow.edges) {
    add(edge.from);
    add(edge.to);
  }
  return ids;
}

/** A DOT quoted string: backslash and double quote escaped, line breaks as `\n`. */
export function quoteDot(text: string): string {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\r?\n|\r/g, "\\n")}"`;
}

function renderDot(workflow: Workflow): string {
  const lines = ["digraph workflow {", "  rankdir=TB;"];
  for (const node of workflow.nodes) {
    const attrs = [`label=${quoteDot(nodeLabel(node))}`, `shape=${DOT_SHAPES[node.type]}`];
    if (node.id === workflow.start) attrs.push("peripheries=2");
    if (node.join) attrs.push("style=bold");
    lines.push(`  ${quoteDot(node.id)} [${attrs.join(", ")}];`);
  }
  for (const edge of workflow.edges) {
    const attrs = edge.label === null ? "" : ` [label=${quoteDot(edge.label)}]`;
    lines.push(`  ${quoteDot(edge.from)} -> ${quoteDot(edge.to)}${attrs};`);
  }
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

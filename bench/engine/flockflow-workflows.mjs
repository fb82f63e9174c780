/**
 * The flockflow workflows the bench runs, built in memory and validated once with
 * `validateWorkflow` so every timed run starts from the same normalised object.
 */
import { validateWorkflow } from "../../dist/index.js";

export const TRIVIAL_JS_CODE = "outputs.i = (inputs.i ?? 0) + 1";

const branchNode = (id, extra = {}) => ({ id, type: "branch", ...extra });
const jsNode = (id) => ({ id, type: "javascript", code: TRIVIAL_JS_CODE });

/** n0 → n1 → … → n(count-1), every node made by `makeNode`. */
export function chainWorkflow(count, makeNode) {
  const nodes = Array.from({ length: count }, (_, i) => makeNode(`n${i}`));
  const edges = nodes.slice(1).map((node, i) => ({ from: `n${i}`, to: node.id }));
  return validateWorkflow({ start: "n0", nodes, edges, metadata: {} });
}

export const branchChain = (count) => chainWorkflow(count, (id) => branchNode(id));
export const javascriptChain = (count) => chainWorkflow(count, jsNode);

/**
 * `start` → `width` siblings → `join` (a `join: true` branch node). A branch node follows only the
 * edges whose label matches its select value, so `start` selects `route` (the run passes
 * `{ route: "all" }`) and every edge out of it carries the label "all": all siblings run in one batch.
 */
export const FAN_OUT_INPUTS = Object.freeze({ route: "all" });

export function fanOutWorkflow(width, siblingType) {
  const siblings = Array.from({ length: width }, (_, i) => (siblingType === "javascript" ? jsNode(`s${i}`) : branchNode(`s${i}`)));
  const nodes = [branchNode("start", { select_key: "route" }), ...siblings, branchNode("join", { join: true })];
  const edges = [
    ...siblings.map((node) => ({ from: "start", to: node.id, label: "all" })),
    ...siblings.map((node) => ({ from: node.id, to: "join" })),
  ];
  return validateWorkflow({ start: "start", nodes, edges, metadata: {} });
}

export const singleJavascriptNode = () => validateWorkflow({ start: "js", nodes: [jsNode("js")], edges: [], metadata: {} });

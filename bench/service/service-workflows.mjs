/**
 * The workflows the service bench saves through `POST /api/workflows`, and the checks their
 * answers must pass. Each is as small as its scenario allows, so the numbers are the service's
 * own cost (HTTP, auth, run record, store writes) rather than the work inside the run.
 */

/** `/invoke` on one `branch` node: no code, no worker; the run is routing and records only. */
export const INVOKE_BRANCH = {
  id: "bench-invoke-branch",
  workflow: { name: "bench: invoke, one branch node", start: "a", nodes: [{ id: "a", type: "branch" }], edges: [] },
  body: { inputs: { i: 1 } },
  /** A lone `branch` node selects a route and writes no outputs. */
  outputsOk: (outputs) => outputs !== null && typeof outputs === "object" && Object.keys(outputs).length === 0,
};

/** `/invoke` on one one-line `javascript` node: adds the worker round trip. */
export const INVOKE_JAVASCRIPT = {
  id: "bench-invoke-js",
  workflow: {
    name: "bench: invoke, one javascript node",
    start: "a",
    nodes: [{ id: "a", type: "javascript", code: "outputs.i = (inputs.i ?? 0) + 1" }],
    edges: [],
  },
  body: { inputs: { i: 1 } },
  outputsOk: (outputs) => outputs?.i === 2,
};

/** The webhook trigger's key; sent in `x-api-key` (the default header of `api_key` auth). */
export const WEBHOOK_KEY = "bench-webhook-key-0123456789abcdef";
export const WEBHOOK_TRIGGER_ID = "bench-hook";

/**
 * A webhook trigger with `api_key` auth on one `branch` node. Concurrency policy `allow` (the
 * default): every accepted call starts its run at once, so the 202 rate is not capped by a gate.
 */
export const WEBHOOK_BRANCH = {
  id: "bench-webhook",
  workflow: {
    name: "bench: webhook, one branch node",
    start: "a",
    nodes: [{ id: "a", type: "branch" }],
    edges: [],
    triggers: [{ id: WEBHOOK_TRIGGER_ID, type: "webhook", auth: { type: "api_key", apiKey: WEBHOOK_KEY }, mapping: { alert: "$.body.alert" } }],
  },
  body: { alert: "bench" },
};

/**
 * Two `llm` nodes in a chain (two streamed calls per run, through the run's LLM session and the
 * provider's one pool). The second prompt quotes the first answer, so the final output proves both
 * calls ran in order and came back whole.
 */
export const LLM_CHAIN = {
  id: "bench-llm",
  workflow: {
    name: "bench: two llm nodes",
    start: "ask",
    nodes: [
      { id: "ask", type: "llm", prompt: "question {{ n }}", output_key: "first" },
      { id: "follow", type: "llm", prompt: "again: {{ first }}", output_key: "second" },
    ],
    edges: [{ from: "ask", to: "follow" }],
  },
  callsPerRun: 2,
  /** The mock answers `mock reply from <model>: <prompt>`. */
  expectedSecond: (n, model) => `mock reply from ${model}: again: mock reply from ${model}: question ${n}`,
};

import { describe, expect, it } from "vitest";
import { WorkflowValidationError, type ValidationIssue } from "../../src/errors.js";
import { validateWorkflow } from "../../src/model/load-workflow.js";
import { validateWorkflowValue } from "../../src/model/validate-workflow.js";

/** A valid two-node workflow; each test breaks one thing. */
function base(): Record<string, unknown> {
  return {
    start: "a",
    nodes: [
      { id: "a", type: "python", code: "outputs['x'] = 1" },
      { id: "b", type: "python", code: "outputs['y'] = inputs.get('x')" },
    ],
    edges: [{ from: "a", to: "b", mapping: { x: "x" } }],
  };
}

function errorsOf(value: unknown): Array<Pick<ValidationIssue, "location" | "rule">> {
  const { workflow, issues } = validateWorkflowValue(value);
  const errors = issues.filter((i) => i.severity === "error");
  if (errors.length > 0) expect(workflow).toBeUndefined();
  return errors.map(({ location, rule }) => ({ location, rule }));
}

describe("validateWorkflowValue: locations and rules", () => {
  it("accepts the base workflow with no issues", () => {
    const { workflow, issues } = validateWorkflowValue(base());
    expect(issues).toEqual([]);
    expect(workflow?.nodes.map((n) => n.id)).toEqual(["a", "b"]);
    expect(workflow?.edges).toHaveLength(1);
  });

  it("reports a missing start at `start` (rule required)", () => {
    const value = base();
    delete value.start;
    expect(errorsOf(value)).toEqual([{ location: "start", rule: "required" }]);
  });

  it("reports a blank start at `start` (rule required)", () => {
    expect(errorsOf({ ...base(), start: "   " })).toEqual([{ location: "start", rule: "required" }]);
  });

  it("reports a start that names no node at `start` (rule unknown_node)", () => {
    expect(errorsOf({ ...base(), start: "zz" })).toEqual([{ location: "start", rule: "unknown_node" }]);
  });

  it("reports an edge to a missing node at `edges[0].to` (rule unknown_node)", () => {
    expect(errorsOf({ ...base(), edges: [{ from: "a", to: "ghost" }] })).toEqual([
      { location: "edges[0].to", rule: "unknown_node" },
    ]);
  });

  it("reports an edge from a missing node at `edges[1].from` (rule unknown_node)", () => {
    const edges = [{ from: "a", to: "b" }, { from: "ghost", to: "b" }];
    expect(errorsOf({ ...base(), edges })).toEqual([{ location: "edges[1].from", rule: "unknown_node" }]);
  });

  it("reports an edge without `to` at `edges[0].to` (rule required)", () => {
    expect(errorsOf({ ...base(), edges: [{ from: "a" }] })).toEqual([{ location: "edges[0].to", rule: "required" }]);
  });

  it("reports a python node without code at `nodes[1].code` (rule required)", () => {
    const value = { start: "a", nodes: [{ id: "a", type: "python", code: "pass" }, { id: "b", type: "python" }] };
    expect(errorsOf(value)).toEqual([{ location: "nodes[1].code", rule: "required" }]);
  });

  it("reports a python node whose code is only whitespace at `nodes[1].code`", () => {
    const value = { start: "a", nodes: [{ id: "a", code: "pass" }, { id: "b", type: "python", code: " \n\t" }] };
    expect(errorsOf(value)).toEqual([{ location: "nodes[1].code", rule: "required" }]);
  });

  // Known gap in validate-workflow.ts: a node with a field error is dropped before the graph checks,
  // so edges and `start` naming it are also reported as `unknown_node`. Remove `.fails` once fixed.
  it("does not report edges to a present-but-invalid node as unknown_node", () => {
    const value = base();
    value.nodes = [{ id: "a", type: "python", code: "pass" }, { id: "b", type: "python" }];
    expect(errorsOf(value)).toEqual([{ location: "nodes[1].code", rule: "required" }]);
  });

  it.each([
    ["javascript", {}, "nodes[1].code"],
    ["logic", {}, "nodes[1].description"],
    ["tool", {}, "nodes[1].tool_name"],
    ["llm", {}, "nodes[1].prompt"],
    ["http_request", { method: "GET" }, "nodes[1].url"],
    ["http_request", { url: "http://x" }, "nodes[1].method"],
    ["subworkflow", {}, "nodes[1].workflow_id"],
  ])("requires the per-type field of a %s node (%o) at %s", (type, extra, location) => {
    const value = { start: "s", nodes: [{ id: "s", code: "pass" }, { id: "n", type, ...extra }] };
    expect(errorsOf(value)).toEqual([{ location, rule: "required" }]);
  });

  it("accepts branch and loop nodes without code and drops a blank one", () => {
    const { workflow, issues } = validateWorkflowValue({
      start: "br",
      nodes: [
        { id: "br", type: "branch", code: "  " },
        { id: "lp", type: "loop" },
      ],
    });
    expect(issues).toEqual([]);
    expect(workflow?.nodes[0]?.code).toBeUndefined();
  });

  it("reports a non-string mapping value at `edges[0].mapping.k` (rule type)", () => {
    expect(errorsOf({ ...base(), edges: [{ from: "a", to: "b", mapping: { k: 1 } }] })).toEqual([
      { location: "edges[0].mapping.k", rule: "type" },
    ]);
  });

  it("reports a negative edge order at `edges[0].order`", () => {
    expect(errorsOf({ ...base(), edges: [{ from: "a", to: "b", order: -1 }] })).toEqual([
      { location: "edges[0].order", rule: "type" },
    ]);
  });

  it("reports duplicate node ids once, at `nodes` (rule duplicate_id), naming them sorted", () => {
    const value = {
      start: "a",
      nodes: [
        { id: "b", code: "pass" },
        { id: "a", code: "pass" },
        { id: "b", code: "pass" },
        { id: "a", code: "pass" },
      ],
    };
    const { issues } = validateWorkflowValue(value);
    expect(issues.map(({ location, rule }) => ({ location, rule }))).toEqual([{ location: "nodes", rule: "duplicate_id" }]);
    expect(issues[0]?.message).toContain("a, b");
  });

  it("reports an unknown node type at `nodes[0].type` (rule enum)", () => {
    expect(errorsOf({ start: "a", nodes: [{ id: "a", code: "pass" }, { id: "b", type: "shell", code: "ls" }] })).toEqual([
      { location: "nodes[1].type", rule: "enum" },
    ]);
  });

  it("defaults a node without type to python", () => {
    const workflow = validateWorkflow({ start: "a", nodes: [{ id: "a", code: "pass" }] });
    expect(workflow.nodes[0]?.type).toBe("python");
  });

  it("reports a bad join_mode at `nodes[0].join_mode` (rule enum)", () => {
    expect(errorsOf({ start: "a", nodes: [{ id: "a", code: "pass" }, { id: "j", code: "pass", join_mode: "deep" }] })).toEqual([
      { location: "nodes[1].join_mode", rule: "enum" },
    ]);
  });

  it("collects every issue instead of stopping at the first", () => {
    const value = {
      nodes: [{ id: "a", code: "pass" }, { id: "b", type: "python" }],
      edges: [{ from: "a", to: "nope", mapping: { k: 2 } }],
    };
    expect(errorsOf(value)).toEqual([
      { location: "start", rule: "required" },
      { location: "nodes[1].code", rule: "required" },
      { location: "edges[0].mapping.k", rule: "type" },
      { location: "edges[0].to", rule: "unknown_node" },
    ]);
  });

  it("reports a top level that is not an object at `$`", () => {
    expect(errorsOf([base()])).toEqual([{ location: "$", rule: "type" }]);
    expect(errorsOf("workflow")).toEqual([{ location: "$", rule: "type" }]);
  });

  it("reports metadata.on_node_timeout outside continue|fail (rule enum)", () => {
    expect(errorsOf({ ...base(), metadata: { on_node_timeout: "retry" } })).toEqual([
      { location: "metadata.on_node_timeout", rule: "enum" },
    ]);
  });

  it.each(["continue", "fail"])("accepts metadata.on_node_timeout %s", (policy) => {
    const workflow = validateWorkflow({ ...base(), metadata: { on_node_timeout: policy } });
    expect(workflow.metadata.on_node_timeout).toBe(policy);
  });

  it("reports a trigger of unknown type at `triggers[0].type`", () => {
    expect(errorsOf({ ...base(), triggers: [{ type: "cron" }] })).toEqual([{ location: "triggers[0].type", rule: "enum" }]);
  });
});

describe("validateWorkflowValue: normalisation", () => {
  it("accepts the aliases from_, inputSchema, outputSchema and selectKey", () => {
    const workflow = validateWorkflow({
      start: "a",
      nodes: [
        { id: "a", type: "python", code: "outputs['flag'] = True", outputSchema: { flag: "bool" } },
        { id: "br", type: "branch", selectKey: "flag", inputSchema: { flag: "bool" } },
      ],
      edges: [{ from_: "a", to: "br", mapping: { flag: "flag" } }],
    });
    expect(workflow.edges[0]?.from).toBe("a");
    expect(workflow.nodes[0]?.outputSchema).toEqual({ flag: "bool" });
    expect(workflow.nodes[1]?.inputSchema).toEqual({ flag: "bool" });
    expect(workflow.nodes[1]?.selectKey).toBe("flag");
  });

  it("accepts the snake_case names select_key, input_schema, output_schema", () => {
    const workflow = validateWorkflow({
      start: "br",
      nodes: [{ id: "br", type: "branch", select_key: "ok", input_schema: { ok: "bool" }, output_schema: {} }],
    });
    expect(workflow.nodes[0]).toMatchObject({ selectKey: "ok", inputSchema: { ok: "bool" }, outputSchema: {} });
  });

  it("ignores unknown keys on the workflow, nodes and edges", () => {
    const { workflow, issues } = validateWorkflowValue({
      ...base(),
      id: "wf-1",
      nameCn: "工作流",
      version: 3,
      nodes: [
        { id: "a", type: "python", code: "pass", name: "First", description_cn: "x" },
        { id: "b", type: "python", code: "pass", position: { x: 1, y: 2 } },
      ],
      edges: [{ from: "a", to: "b", mapping: { x: "x" }, style: "dashed" }],
    });
    expect(issues).toEqual([]);
    expect(workflow).toBeDefined();
    expect(workflow).not.toHaveProperty("nameCn");
    expect(workflow?.nodes[0]).not.toHaveProperty("name");
    expect(workflow?.edges[0]).not.toHaveProperty("style");
  });

  it("normalises an empty-string edge label to null and keeps other labels", () => {
    const workflow = validateWorkflow({
      start: "br",
      nodes: [
        { id: "br", type: "branch" },
        { id: "x", code: "pass" },
        { id: "y", code: "pass" },
        { id: "z", code: "pass" },
      ],
      edges: [
        { from: "br", to: "x", label: "" },
        { from: "br", to: "y", label: "true" },
        { from: "br", to: "z" },
      ],
    });
    expect(workflow.edges.map((e) => e.label)).toEqual([null, "true", null]);
  });

  it("converts node timeout_s to timeoutMs", () => {
    const workflow = validateWorkflow({ start: "a", nodes: [{ id: "a", code: "pass", timeout_s: 2.5 }] });
    expect(workflow.nodes[0]?.timeoutMs).toBe(2500);
  });

  it("reports a non-positive timeout_s at `nodes[0].timeout_s`", () => {
    expect(errorsOf({ start: "a", nodes: [{ id: "a", code: "pass" }, { id: "t", code: "pass", timeout_s: 0 }] })).toEqual([
      { location: "nodes[1].timeout_s", rule: "type" },
    ]);
  });

  it("reads the logic node language and rejects others", () => {
    const ok = validateWorkflow({ start: "l", nodes: [{ id: "l", type: "logic", description: "d", language: "javascript" }] });
    expect(ok.nodes[0]?.language).toBe("javascript");
    const bad = { start: "a", nodes: [{ id: "a", code: "pass" }, { id: "l", type: "logic", description: "d", language: "ruby" }] };
    expect(errorsOf(bad)).toEqual([{ location: "nodes[1].language", rule: "enum" }]);
  });

  it("fills defaults: edge order 0, join false/flat/overwrite/__by_source__, empty lists and metadata", () => {
    const workflow = validateWorkflow({ start: "a", nodes: [{ id: "a", code: "pass" }], metadata: null });
    expect(workflow.edges).toEqual([]);
    expect(workflow.triggers).toEqual([]);
    expect(workflow.metadata).toEqual({});
    expect(workflow.nodes[0]).toMatchObject({
      join: false,
      joinMode: "flat",
      joinConflict: "overwrite",
      joinNamespaceKey: "__by_source__",
      index: 0,
    });
  });

  it("uses metadata.triggers when the top-level list is empty", () => {
    const workflow = validateWorkflow({ ...base(), triggers: [], metadata: { triggers: [{ type: "manual" }] } });
    expect(workflow.triggers).toEqual([{ type: "manual" }]);
  });
});

describe("validateWorkflow", () => {
  it("throws WorkflowValidationError whose message lists each location", () => {
    expect.assertions(5);
    try {
      const value = { start: "a", nodes: [{ id: "a", code: "pass" }, { id: "c", type: "python" }], edges: [{ from: "a", to: "b" }] };
      validateWorkflow(value, "wf.json");
    } catch (error) {
      expect(error).toBeInstanceOf(WorkflowValidationError);
      const e = error as WorkflowValidationError;
      expect(e.name).toBe("WorkflowValidationError");
      expect(e.code).toBe("FF_WORKFLOW_INVALID");
      expect(e.issues.map((i) => i.location)).toEqual(["nodes[1].code", "edges[0].to"]);
      expect(e.message).toMatch(/^Invalid workflow wf\.json:\n {2}nodes\[1\]\.code: .*\n {2}edges\[0\]\.to: /);
    }
  });
});

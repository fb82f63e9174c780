/**
 * Lint parity with Flocks' tests/workflow/test_workflow_fixes.py (reference flocks-llm.md §3: join,
 * expensive and unified lint, strict mapping), plus flockflow's own label_dead_end, SW-001/SW-002
 * and the output-key estimate.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadWorkflow, validateWorkflow } from "../../src/model/load-workflow.js";
import { estimateOutputKeys, isBlockingFinding, lintWorkflow, type LintFinding } from "../../src/model/lint-workflow.js";
import type { Workflow } from "../../src/model/types.js";

const wf = (value: Record<string, unknown>): Workflow => validateWorkflow(value);
const ofKind = (findings: LintFinding[], kind: string): LintFinding[] => findings.filter((f) => f.kind === kind);
const kinds = (findings: LintFinding[]): string[] => findings.map((f) => f.kind);
const py = (id: string, code: string, extra: Record<string, unknown> = {}) => ({ id, type: "python", code, ...extra });

/** Flocks' two-sources-into-one shape; `c` decides what the target looks like. */
function fanIn(c: Record<string, unknown>): Workflow {
  return wf({
    start: "a",
    nodes: [py("a", "outputs['x'] = 1"), py("b", "outputs['y'] = 2"), c],
    edges: [
      { from: "a", to: c.id },
      { from: "b", to: c.id },
    ],
  });
}

/** start → branch br (true → a, false → b) → merge, plus whatever `extraEdges` adds. */
function branchMerge(extraEdges: Array<Record<string, unknown>> = []): Workflow {
  return wf({
    start: "start",
    nodes: [
      py("start", "outputs['flag'] = True"),
      { id: "br", type: "branch", select_key: "flag" },
      py("a", "outputs['x'] = 1"),
      py("b", "outputs['x'] = 2"),
      py("merge", "outputs['r'] = inputs.get('x')"),
    ],
    edges: [
      { from: "start", to: "br" },
      { from: "br", to: "a", label: "true" },
      { from: "br", to: "b", label: "false" },
      { from: "a", to: "merge" },
      { from: "b", to: "merge" },
      ...extraEdges,
    ],
  });
}

describe("join lint (multi_incoming_no_join)", () => {
  it("warns once on a node with two non-exclusive incoming edges and no join", () => {
    const found = ofKind(lintWorkflow(fanIn(py("c", "outputs['z'] = inputs.get('x', 0)"))), "multi_incoming_no_join");
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ severity: "warning", nodeId: "c", location: "nodes[2]" });
    expect(found[0]?.message).toContain('"a", "b"');
    expect(isBlockingFinding(found[0]!)).toBe(false);
  });

  it("does not warn on a loop node entered from outside and from its own back edge", () => {
    const workflow = wf({
      start: "init",
      nodes: [
        py("init", "outputs['hosts'] = [1, 2]\noutputs['host_idx'] = 0"),
        { id: "loop_check", type: "loop", select_key: "should_continue" },
        py("inspect_host", "outputs['seen'] = True"),
        py("advance_index", "outputs['host_idx'] = inputs['host_idx'] + 1"),
        py("done", "outputs['ok'] = True"),
      ],
      edges: [
        { from: "init", to: "loop_check" },
        { from: "loop_check", to: "inspect_host", label: "continue" },
        { from: "inspect_host", to: "advance_index" },
        { from: "advance_index", to: "loop_check" },
        { from: "loop_check", to: "done", label: "exit" },
      ],
    });
    expect(ofKind(lintWorkflow(workflow), "multi_incoming_no_join")).toEqual([]);
  });

  it("does not warn when the sources are exclusive targets of one branch", () => {
    expect(ofKind(lintWorkflow(branchMerge()), "multi_incoming_no_join")).toEqual([]);
  });

  it("does not warn on a node with join: true", () => {
    expect(ofKind(lintWorkflow(fanIn(py("c", "pass", { join: true }))), "multi_incoming_no_join")).toEqual([]);
  });

  it("counts a branch's default-edge target as exclusive with its labelled targets", () => {
    const workflow = wf({
      start: "b",
      nodes: [{ id: "b", type: "branch", select_key: "k" }, py("x", "outputs['v'] = 1"), py("y", "outputs['v'] = 2"), py("m", "outputs['ok'] = True")],
      edges: [
        { from: "b", to: "x", label: "x", mapping: { k: "k" } },
        { from: "b", to: "y", mapping: { k: "k" } },
        { from: "x", to: "m", mapping: { v: "v" } },
        { from: "y", to: "m", mapping: { v: "v" } },
      ],
    });
    expect(ofKind(lintWorkflow(workflow), "multi_incoming_no_join")).toEqual([]);
  });

  it("warns once when branch targets and an extra direct edge meet (not fully exclusive)", () => {
    const found = ofKind(lintWorkflow(branchMerge([{ from: "start", to: "merge" }])), "multi_incoming_no_join");
    expect(found).toHaveLength(1);
    expect(found[0]?.nodeId).toBe("merge");
  });

  it("counts two edges from one source as two incoming edges", () => {
    const workflow = wf({
      start: "a",
      nodes: [py("a", "outputs['x'] = 1"), py("c", "pass")],
      edges: [
        { from: "a", to: "c", mapping: { x: "x" } },
        { from: "a", to: "c", mapping: { y: "x" } },
      ],
    });
    expect(ofKind(lintWorkflow(workflow), "multi_incoming_no_join").map((f) => f.nodeId)).toEqual(["c"]);
  });

  it("treats labelled targets of a logic node as exclusive too (logic nodes route by label)", () => {
    const workflow = wf({
      start: "l",
      nodes: [
        { id: "l", type: "logic", description: "输出：result" },
        py("a", "outputs['x'] = 1"),
        py("b", "outputs['x'] = 2"),
        py("m", "pass"),
      ],
      edges: [
        { from: "l", to: "a", label: "yes" },
        { from: "l", to: "b", label: "no" },
        { from: "a", to: "m" },
        { from: "b", to: "m" },
      ],
    });
    expect(ofKind(lintWorkflow(workflow), "multi_incoming_no_join")).toEqual([]);
  });
});

describe("expensive lint (expensive_node_multi_trigger)", () => {
  it("flags an llm.ask node with two non-exclusive incoming edges", () => {
    const found = ofKind(
      lintWorkflow(fanIn(py("expensive", "result = llm.ask('summarize')\noutputs['summary'] = result"))),
      "expensive_node_multi_trigger",
    );
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ severity: "error", nodeId: "expensive", location: "nodes[2]" });
    // Shown as an error, but it does not stop `run` (Flocks' runner does not enforce it).
    expect(isBlockingFinding(found[0]!)).toBe(false);
  });

  it("does not flag a cheap node with the same shape", () => {
    expect(ofKind(lintWorkflow(fanIn(py("c", "outputs['z'] = 3"))), "expensive_node_multi_trigger")).toEqual([]);
  });

  it("detects tool.run('write', ...) as expensive", () => {
    const found = ofKind(
      lintWorkflow(fanIn(py("writer", "tool.run('write', filePath='out.md', content='hi')"))),
      "expensive_node_multi_trigger",
    );
    expect(found.map((f) => f.nodeId)).toEqual(["writer"]);
  });

  it("detects llm nodes, write tool nodes and llm.askAsync in javascript", () => {
    for (const node of [
      { id: "n", type: "llm", prompt: "Summarise {{ x }}" },
      { id: "n", type: "tool", tool_name: "write" },
      { id: "n", type: "javascript", code: "outputs.s = await llm.askAsync('hi')" },
    ]) {
      expect(ofKind(lintWorkflow(fanIn(node)), "expensive_node_multi_trigger").map((f) => f.nodeId)).toEqual(["n"]);
    }
  });

  it("does not flag an expensive node behind exclusive branch targets", () => {
    const workflow = branchMerge();
    const merge = workflow.nodes.find((n) => n.id === "merge")!;
    merge.code = "outputs['r'] = llm.ask('x')";
    expect(ofKind(lintWorkflow(workflow), "expensive_node_multi_trigger")).toEqual([]);
  });
});

describe("unified lint", () => {
  it("combines the checks: the fan-in without join shows up", () => {
    const findings = lintWorkflow(fanIn(py("c", "pass")));
    expect(kinds(findings)).toContain("multi_incoming_no_join");
    // Unmapped edges are reported first, then the join warning.
    expect(kinds(findings)).toEqual(["implicit_full_payload_edge", "implicit_full_payload_edge", "multi_incoming_no_join"]);
  });

  it("returns nothing for a clean mapped graph", () => {
    const workflow = wf({
      start: "a",
      nodes: [py("a", "outputs['x'] = 1"), py("b", "outputs['y'] = inputs.get('mapped_x')")],
      edges: [{ from: "a", to: "b", mapping: { mapped_x: "x" } }],
    });
    expect(lintWorkflow(workflow)).toEqual([]);
  });

  it("does not suggest omitting an identity mapping (Flocks retired that rule)", () => {
    const workflow = wf({
      start: "a",
      nodes: [py("a", "outputs['x'] = 1"), py("b", "pass")],
      edges: [{ from: "a", to: "b", mapping: { x: "x" } }],
    });
    expect(lintWorkflow(workflow)).toEqual([]);
  });

  it("warns on an unmapped edge by default, at the edge's location", () => {
    const workflow = wf({
      start: "a",
      nodes: [py("a", "outputs['x'] = 1"), py("b", "outputs['y'] = inputs.get('x')")],
      edges: [{ from: "a", to: "b" }],
    });
    const found = lintWorkflow(workflow);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      kind: "implicit_full_payload_edge",
      severity: "warning",
      location: "edges[0]",
      edgeIndex: 0,
    });
    expect(isBlockingFinding(found[0]!)).toBe(false);
  });

  it("treats an empty mapping object as no mapping", () => {
    const workflow = wf({ start: "a", nodes: [py("a", "pass"), py("b", "pass")], edges: [{ from: "a", to: "b", mapping: {} }] });
    expect(kinds(lintWorkflow(workflow))).toEqual(["implicit_full_payload_edge"]);
  });

  it.each([
    [{ runtime: { strict_edge_mapping: true } }],
    [{ strictEdgeMapping: "yes" }],
    [{ runtime_defaults: { strict_edge_mapping: "1" } }],
  ])("makes an unmapped edge a blocking error under strict edge mapping (%o)", (metadata) => {
    const workflow = wf({
      start: "a",
      nodes: [py("a", "outputs['x'] = 1"), py("b", "outputs['y'] = inputs.get('x')")],
      edges: [{ from: "a", to: "b" }],
      metadata,
    });
    const found = lintWorkflow(workflow);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ kind: "implicit_full_payload_edge", severity: "error" });
    // Flocks' run_workflow rejects this workflow; flockflow's run does too.
    expect(isBlockingFinding(found[0]!)).toBe(true);
  });

  it("recommends strict edge mapping for a kafka-triggered workflow", () => {
    const value = {
      start: "a",
      nodes: [py("a", "outputs['x'] = 1")],
      triggers: [{ type: "manual" }, { type: "kafka", source: { topic: "alerts" } }],
    };
    const found = ofKind(lintWorkflow(wf(value)), "recommend_strict_edge_mapping");
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ severity: "warning", location: "triggers[1]" });
    expect(found[0]?.message).toContain("kafka");
  });

  it("points at metadata.triggers when the triggers were declared there", () => {
    const value = { start: "a", nodes: [py("a", "pass")], metadata: { triggers: [{ type: "syslog" }] } };
    const found = ofKind(lintWorkflow(wf(value)), "recommend_strict_edge_mapping");
    expect(found.map((f) => f.location)).toEqual(["metadata.triggers[0]"]);
  });

  it.each([
    [{ runtime: { strict_edge_mapping: true } }],
    [{ runtime: { strict_edge_mapping: false } }],
    [{ strict_edge_mapping: "off" }],
  ])("does not recommend strict mapping once the key is set (%o)", (metadata) => {
    const value = { start: "a", nodes: [py("a", "pass")], triggers: [{ type: "kafka" }], metadata };
    expect(ofKind(lintWorkflow(wf(value)), "recommend_strict_edge_mapping")).toEqual([]);
  });

  it("does not recommend strict mapping for manual or webhook triggers", () => {
    const value = { start: "a", nodes: [py("a", "pass")], triggers: [{ type: "manual" }, { type: "webhook" }] };
    expect(lintWorkflow(wf(value))).toEqual([]);
  });
});

describe("schema lint", () => {
  function schemaPair(
    outputSchema: Record<string, unknown>,
    inputSchema: Record<string, unknown>,
    mapping: Record<string, string>,
  ): Workflow {
    return wf({
      start: "a",
      nodes: [py("a", "outputs['events'] = []", { outputSchema }), py("b", "pass", { inputSchema })],
      edges: [{ from: "a", to: "b", mapping }],
    });
  }
  const schemaFindings = (w: Workflow) => lintWorkflow(w).filter((f) => f.kind.startsWith("schema_"));

  it("accepts a mapping that matches both declared schemas", () => {
    const workflow = schemaPair(
      { fields: { events: { type: "array", large: true }, count: "integer" } },
      { fields: { items: { type: "list", large: true, required: true }, n: "number" } },
      { items: "events", n: "$.count" },
    );
    expect(schemaFindings(workflow)).toEqual([]);
  });

  it("reports a source the upstream outputSchema does not declare", () => {
    const found = schemaFindings(schemaPair({ events: "list" }, {}, { items: "missing.deep" }));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      kind: "schema_mapping_src_not_declared",
      severity: "error",
      location: "edges[0].mapping.items",
      edgeIndex: 0,
    });
    expect(isBlockingFinding(found[0]!)).toBe(true);
  });

  it("reports a destination the downstream inputSchema does not declare", () => {
    const found = schemaFindings(schemaPair({}, { fields: { items: "list" } }, { other: "events" }));
    expect(kinds(found)).toEqual(["schema_mapping_dst_not_declared"]);
    expect(found[0]?.location).toBe("edges[0].mapping.other");
  });

  it("reports a type mismatch, and lets int and float, any and aliases match", () => {
    expect(kinds(schemaFindings(schemaPair({ events: "list" }, { items: "str" }, { items: "events" })))).toEqual([
      "schema_mapping_type_mismatch",
    ]);
    expect(schemaFindings(schemaPair({ n: "int" }, { m: "float" }, { m: "n" }))).toEqual([]);
    expect(schemaFindings(schemaPair({ n: "any" }, { m: "dict" }, { m: "n" }))).toEqual([]);
    expect(schemaFindings(schemaPair({ n: "boolean" }, { m: "bool" }, { m: "n" }))).toEqual([]);
    expect(schemaFindings(schemaPair({ n: "object" }, { m: { type: "map" } }, { m: "n" }))).toEqual([]);
  });

  it("reports a large source mapped into a field not marked large", () => {
    const found = schemaFindings(schemaPair({ events: { type: "list", large: true } }, { items: { type: "list" } }, { items: "events" }));
    expect(kinds(found)).toEqual(["schema_mapping_large_payload"]);
    expect(isBlockingFinding(found[0]!)).toBe(true);
  });

  it("does not check `$` against the output schema", () => {
    expect(schemaFindings(schemaPair({ events: "list" }, { all: "dict" }, { all: "$" }))).toEqual([]);
  });

  it("reports required inputs no mapping or const provides, and exempts the start node", () => {
    const workflow = wf({
      start: "a",
      nodes: [
        py("a", "pass", { inputSchema: { fields: { seed: { type: "int", required: true } } } }),
        py("b", "pass", { inputSchema: { fields: { x: { required: true }, y: { required: true }, z: { required: true }, w: "str" } } }),
      ],
      edges: [{ from: "a", to: "b", mapping: { x: "x" }, const: { y: 1 } }],
    });
    const found = schemaFindings(workflow);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      kind: "schema_required_input_missing",
      severity: "error",
      nodeId: "b",
      location: "nodes[1].inputSchema",
    });
    expect(found[0]?.message).toContain("z");
    expect(found[0]?.message).not.toContain("y,");
    expect(isBlockingFinding(found[0]!)).toBe(true);
  });

  it("checks nothing for nodes without schemas", () => {
    expect(schemaFindings(schemaPair({}, {}, { a: "b" }))).toEqual([]);
  });
});

describe("mapping sources against estimated upstream outputs", () => {
  function mapped(upstream: Record<string, unknown>, mapping: Record<string, string>): LintFinding[] {
    const workflow = wf({
      start: upstream.id as string,
      nodes: [upstream, py("down", "pass")],
      edges: [{ from: upstream.id, to: "down", mapping }],
    });
    return ofKind(lintWorkflow(workflow), "mapping_src_key_not_in_upstream_outputs");
  }

  it("warns when a python node never writes the mapped key, at the mapping's location", () => {
    const found = mapped(py("up", "outputs['a'] = 1\noutputs[\"b\"] = 2"), { k: "c.d", ok1: "a", ok2: "$.b.x" });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ severity: "warning", location: "edges[0].mapping.k", edgeIndex: 0 });
    expect(isBlockingFinding(found[0]!)).toBe(false);
  });

  it("skips `$`, blank paths and upstream nodes whose outputs cannot be estimated", () => {
    expect(mapped(py("up", "outputs['a'] = 1"), { all: "$", blank: " " })).toEqual([]);
    expect(mapped(py("up", "outputs.update(x=1)"), { k: "anything" })).toEqual([]);
    expect(mapped({ id: "up", type: "branch" }, { k: "anything" })).toEqual([]);
  });

  it("estimates javascript outputs from members and subscripts, and gives up on reassignment", () => {
    expect(mapped({ id: "up", type: "javascript", code: "outputs.a = 1; outputs['b'] = 2; outputs[\"c\"] = 3" }, { x: "a", y: "b", z: "c" })).toEqual([]);
    expect(mapped({ id: "up", type: "javascript", code: "outputs.a = 1" }, { x: "zz" })).toHaveLength(1);
    expect(mapped({ id: "up", type: "javascript", code: "outputs.a = 1; outputs = { zz: 2 }" }, { x: "zz" })).toEqual([]);
  });

  it("estimates logic outputs from an 输出： or Output: clause and 输出要求 bullets", () => {
    expect(mapped({ id: "up", type: "logic", description: "判断风险。输出：risk, level" }, { a: "risk", b: "level" })).toEqual([]);
    expect(mapped({ id: "up", type: "logic", description: "Output: verdict、score" }, { a: "verdict", b: "nope" })).toHaveLength(1);
    expect(mapped({ id: "up", type: "logic", description: "Decide. Output: verdict, score." }, { a: "score" })).toEqual([]);
    const bullets = "分析\n输出要求：\n- summary: 摘要\n- ioc: 指标\n\n说明";
    expect(mapped({ id: "up", type: "logic", description: bullets }, { a: "summary", b: "ioc" })).toEqual([]);
    expect(mapped({ id: "up", type: "logic", description: bullets }, { a: "other" })).toHaveLength(1);
  });

  it("uses the default or configured output keys of tool, llm, http_request and subworkflow nodes", () => {
    expect(estimateOutputKeys(validNode({ type: "tool", tool_name: "t" }))).toEqual(new Set(["result"]));
    expect(estimateOutputKeys(validNode({ type: "llm", prompt: "p", output_key: "summary" }))).toEqual(new Set(["summary"]));
    expect(estimateOutputKeys(validNode({ type: "http_request", url: "u", method: "GET" }))).toEqual(new Set(["response", "status_code"]));
    expect(estimateOutputKeys(validNode({ type: "http_request", url: "u", method: "GET", response_key: "body" }))).toEqual(
      new Set(["body", "status_code"]),
    );
    expect(estimateOutputKeys(validNode({ type: "subworkflow", workflow_id: "w" }))).toEqual(new Set(["output"]));
    expect(mapped({ id: "up", type: "http_request", url: "u", method: "GET" }, { code: "status_code", r: "result" })).toHaveLength(1);
  });
});

function validNode(fields: Record<string, unknown>) {
  return wf({ start: "n", nodes: [{ id: "n", ...fields }] }).nodes[0]!;
}

describe("label_dead_end (flockflow)", () => {
  it("warns on a branch whose outgoing edges are all labelled", () => {
    const found = ofKind(lintWorkflow(branchMerge()), "label_dead_end");
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ severity: "warning", nodeId: "br", location: "nodes[1]" });
    expect(found[0]?.message).toContain('"true", "false"');
    expect(isBlockingFinding(found[0]!)).toBe(false);
  });

  it("does not warn once a default (unlabelled, or empty-label) edge exists", () => {
    const withDefault = wf({
      start: "br",
      nodes: [{ id: "br", type: "branch" }, py("a", "pass"), py("b", "pass")],
      edges: [
        { from: "br", to: "a", label: "true" },
        { from: "br", to: "b", label: "" },
      ],
    });
    expect(ofKind(lintWorkflow(withDefault), "label_dead_end")).toEqual([]);
  });

  it("warns on loop and logic nodes but never on broadcast nodes or nodes without outgoing edges", () => {
    const workflow = wf({
      start: "p",
      nodes: [
        py("p", "pass"),
        { id: "lp", type: "loop", select_key: "go" },
        { id: "lg", type: "logic", description: "输出：result" },
        { id: "end", type: "branch" },
        py("x", "pass"),
      ],
      edges: [
        { from: "p", to: "lp", label: "odd", mapping: { a: "a" } },
        { from: "lp", to: "lg", label: "continue", mapping: { a: "a" } },
        { from: "lg", to: "end", label: "done", mapping: { a: "a" } },
        { from: "lg", to: "x", label: "more", mapping: { a: "a" } },
      ],
    });
    expect(ofKind(lintWorkflow(workflow), "label_dead_end").map((f) => f.nodeId)).toEqual(["lp", "lg"]);
  });
});

describe("sub-workflow rules", () => {
  const parent = () =>
    wf({
      start: "s",
      nodes: [py("s", "outputs['q'] = 1"), { id: "child", type: "subworkflow", workflow_id: "enrich" }],
      edges: [{ from: "s", to: "child", mapping: { q: "q" } }],
    });

  it("reports SW-001 for each subworkflow node only when linted as a sub-workflow", () => {
    expect(ofKind(lintWorkflow(parent()), "SW-001")).toEqual([]);
    const found = ofKind(lintWorkflow(parent(), { asSubworkflow: true }), "SW-001");
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ severity: "error", nodeId: "child", location: "nodes[1]" });
    expect(isBlockingFinding(found[0]!)).toBe(false);
  });

  it("reports SW-002 for an unknown workflow_id only when known ids are given", () => {
    expect(ofKind(lintWorkflow(parent()), "SW-002")).toEqual([]);
    expect(ofKind(lintWorkflow(parent(), { knownWorkflowIds: new Set(["enrich"]) }), "SW-002")).toEqual([]);
    const found = ofKind(lintWorkflow(parent(), { knownWorkflowIds: new Set(["other"]) }), "SW-002");
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ severity: "error", nodeId: "child", location: "nodes[1].workflow_id" });
    expect(found[0]?.message).toContain('"enrich"');
    expect(isBlockingFinding(found[0]!)).toBe(false);
  });
});

const shippedRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..", "../shared/flocks-workflows");

describe.skipIf(!existsSync(shippedRoot))(`lint of shipped Flocks workflows (skipped when ${shippedRoot} is absent)`, () => {
  it("finds only unmapped-edge warnings in tdp_alert_triage (its fan-in has join: true)", async () => {
    const findings = lintWorkflow(await loadWorkflow(path.join(shippedRoot, "tdp_alert_triage")));
    expect(kinds(findings)).toEqual(Array(7).fill("implicit_full_payload_edge"));
    expect(findings.every((f) => f.severity === "warning")).toBe(true);
  });

  it("recommends strict mapping for the schedule-triggered stream_alert_triage", async () => {
    const findings = lintWorkflow(await loadWorkflow(path.join(shippedRoot, "stream_alert_triage")));
    expect(kinds(findings)).toEqual(["implicit_full_payload_edge", "implicit_full_payload_edge", "recommend_strict_edge_mapping"]);
    expect(findings.some(isBlockingFinding)).toBe(false);
  });
});

describe("mapping sources passed through an upstream node", () => {
  const flow = (intoB: Record<string, unknown>) =>
    validateWorkflow({
      start: "a",
      nodes: [
        { id: "a", type: "javascript", code: "outputs.x = 1; outputs.state = {}" },
        { id: "b", type: "javascript", code: "outputs.y = 2" },
        { id: "c", type: "javascript", code: "outputs.z = 3" },
      ],
      edges: [
        { from: "a", to: "b", ...intoB },
        { from: "b", to: "c", mapping: { y: "y", state: "state", typo: "stat" } },
      ],
    });

  it("does not warn for a key the upstream node provably receives, and still warns for a typo", () => {
    const found = lintWorkflow(flow({ mapping: { x: "x", state: "state" } })).filter((f) => f.kind === "mapping_src_key_not_in_upstream_outputs");
    expect(found.map((f) => f.location)).toEqual(["edges[1].mapping.typo"]);
  });

  it("warns as Flocks does when the upstream node's inputs are not known statically", () => {
    const found = lintWorkflow(flow({})).filter((f) => f.kind === "mapping_src_key_not_in_upstream_outputs");
    expect(found.map((f) => f.location)).toEqual(["edges[1].mapping.state", "edges[1].mapping.typo"]);
  });
});

import { afterAll, describe, expect, it } from "vitest";
import { createRuntime } from "../../src/index.js";
import { branch, edge, js, tool, workflow } from "../support/workflows.js";
import { testTools } from "../support/tools.js";

const runtime = createRuntime({ tools: testTools() });
afterAll(() => runtime.close());

const ids = (history: { nodeId: string }[]) => history.map((s) => s.nodeId);

describe("label routing", () => {
  const routed = (selectKey?: string) =>
    workflow(
      "start",
      [js("start", "outputs.seen = true"), branch("route", selectKey ? { select_key: selectKey } : {}), js("yes", "outputs.r = 'yes'"), js("no", "outputs.r = 'no'"), js("other", "outputs.r = 'other'")],
      [edge("start", "route"), edge("route", "yes", { label: "true" }), edge("route", "no", { label: "false" }), edge("route", "other")],
    );

  it("routes a boolean select value by its string form", async () => {
    const yes = await runtime.run(routed("flag"), { inputs: { flag: true } });
    expect(yes.outputs).toMatchObject({ r: "yes" });
    const no = await runtime.run(routed("flag"), { inputs: { flag: false } });
    expect(no.outputs).toMatchObject({ r: "no" });
    expect(ids(no.history)).toEqual(["start", "route", "no"]);
  });

  it("reads `result` when select_key is absent, and a nested path when given", async () => {
    expect((await runtime.run(routed(), { inputs: { result: true } })).outputs.r).toBe("yes");
    expect((await runtime.run(routed("a.b"), { inputs: { a: { b: false } } })).outputs.r).toBe("no");
  });

  it("takes the first default edge when no label matches, and an empty-string value routes like null", async () => {
    expect((await runtime.run(routed("flag"), { inputs: { flag: "maybe" } })).outputs.r).toBe("other");
    expect((await runtime.run(routed("flag"), { inputs: { flag: "" } })).outputs.r).toBe("other");
    expect((await runtime.run(routed("flag"), { inputs: {} })).outputs.r).toBe("other");
  });

  it("treats an empty-string edge label as the default edge", async () => {
    const wf = workflow("b", [branch("b", { select_key: "k" }), js("x", "outputs.r = 'x'"), js("d", "outputs.r = 'd'")], [edge("b", "x", { label: "x" }), edge("b", "d", { label: "" })]);
    expect((await runtime.run(wf, { inputs: { k: "nope" } })).outputs.r).toBe("d");
  });

  it("matches numbers by canonical string and fires every edge with the matching label", async () => {
    const wf = workflow(
      "b",
      [branch("b", { select_key: "n" }), js("two_a", "outputs.a = 1"), js("two_b", "outputs.b = 1"), js("one", "outputs.c = 1")],
      [edge("b", "two_a", { label: "2" }), edge("b", "two_b", { label: "2", order: 1 }), edge("b", "one", { label: "1" })],
    );
    const result = await runtime.run(wf, { inputs: { n: 2 } });
    expect(ids(result.history)).toEqual(["b", "two_a", "two_b"]);
  });

  it("stops silently when nothing matches and there is no default edge", async () => {
    const wf = workflow("b", [branch("b", { select_key: "k" }), js("x", "outputs.r = 1")], [edge("b", "x", { label: "x" })]);
    const result = await runtime.run(wf, { inputs: { k: "y" } });
    expect(result.status).toBe("succeeded");
    expect(ids(result.history)).toEqual(["b"]);
  });
});

describe("dataflow", () => {
  it("legacy mode passes inputs merged with outputs when an edge has no mapping", async () => {
    const wf = workflow("a", [js("a", "outputs.x = 1"), js("b", "outputs.sum = inputs.x + inputs.y")], [edge("a", "b")]);
    const result = await runtime.run(wf, { inputs: { y: 10 } });
    expect(result.outputs).toEqual({ sum: 11 });
  });

  it("a `__proto__` key from a mapping or from const stays an ordinary key of the payload", async () => {
    // As a workflow file gives them: JSON makes "__proto__" an own key.
    const extra = JSON.parse('{"mapping": {"__proto__": "k"}, "const": {"__proto__": {"polluted": true}, "c": 3}}');
    const wf = workflow("a", [js("a", "outputs.k = 'v'"), js("b", "outputs.keys = Object.keys(inputs).sort(); outputs.polluted = inputs.polluted === true")], [edge("a", "b", extra)]);
    const result = await runtime.run(wf);
    expect([result.error, result.outputs]).toEqual([null, { keys: ["__proto__", "c"], polluted: false }]);
  });

  it("mapping picks paths ($, $.a.b, a.0.b), omits missing ones and merges const last", async () => {
    const wf = workflow(
      "a",
      [js("a", "outputs.obj = { list: [{ b: 'deep' }] }; outputs.k = 'v'"), js("b", "outputs.seen = inputs")],
      [edge("a", "b", { mapping: { deep: "obj.list.0.b", dollar: "$.k", missing: "nope.x", all: "$" }, const: { c: 3, k2: "const" } })],
    );
    const result = await runtime.run(wf, { inputs: { i: 1 }, historyMode: "full" });
    const seen = result.outputs.seen as Record<string, unknown>;
    expect(seen.deep).toBe("deep");
    expect(seen.dollar).toBe("v");
    expect("missing" in seen).toBe(false);
    expect(seen.c).toBe(3);
    expect(seen.all).toEqual({ i: 1, obj: { list: [{ b: "deep" }] }, k: "v" });
  });

  it("vertex_cache mode looks a dotted path up in outputs, then in inputs", async () => {
    const nodes = [js("a", "outputs.cfg = { other: 1 }"), js("b", "outputs.got = inputs.got ?? 'missing'")];
    const edges = [edge("a", "b", { mapping: { got: "cfg.mode" } })];
    const legacy = await runtime.run(workflow("a", nodes, edges), { inputs: { cfg: { mode: "from-inputs" } } });
    const vertex = await runtime.run(workflow("a", nodes, edges, { runtime: { dataflow_mode: "vertex_cache" } }), { inputs: { cfg: { mode: "from-inputs" } } });
    expect(legacy.outputs.got).toBe("missing");
    expect(vertex.outputs.got).toBe("from-inputs");
  });

  it("a tool node gets {...tool_args, ...inputs} with inputs winning", async () => {
    const wf = workflow("t", [tool("t", "echo", { tool_args: { a: 1, b: 2 }, output_key: "echoed" })]);
    const result = await runtime.run(wf, { inputs: { b: 20, c: 30 } });
    expect(result.outputs).toEqual({ echoed: { a: 1, b: 20, c: 30 } });
  });

  it("with stop_on_error off a failed node still fans out with outputs {}", async () => {
    const wf = workflow("a", [js("a", "throw new Error('boom')"), js("b", "outputs.got = inputs.x")], [edge("a", "b")]);
    const result = await runtime.run(wf, { inputs: { x: 5 }, stopOnError: false });
    expect(result.status).toBe("succeeded");
    expect(result.history.map((s) => s.status)).toEqual(["failed", "succeeded"]);
    expect(result.outputs).toEqual({ got: 5 });
  });

  it("with stop_on_error on the run fails with '<node>: <type>: <message>'", async () => {
    const wf = workflow("a", [js("a", "null.x"), js("b", "outputs.y = 1")], [edge("a", "b")]);
    const result = await runtime.run(wf);
    expect(result.status).toBe("failed");
    expect(result.error).toBe("a: TypeError: Cannot read properties of null (reading 'x')");
    expect(result.steps).toBe(1);
    expect(result.lastNodeId).toBe("a");
  });
});

describe("loops, dedup and max_steps", () => {
  const counter = () =>
    workflow(
      "init",
      [
        js("init", "outputs.i = 0"),
        branch("check", { select_key: "more" }),
        js("inc", "outputs.i = inputs.i + 1; outputs.more = outputs.i < inputs.limit"),
        js("done", "outputs.final = inputs.i"),
      ],
      [edge("init", "inc"), edge("inc", "check"), edge("check", "inc", { label: "true" }), edge("check", "done", { label: "false" })],
    );

  it("a loop carries state around a cycle until the branch exits", async () => {
    const result = await runtime.run(counter(), { inputs: { limit: 5 } });
    expect(result.status).toBe("succeeded");
    expect(result.outputs).toEqual({ final: 5 });
    expect(result.steps).toBe(1 + 5 * 2 + 1);
  });

  it("max_steps stops an endless loop with a failed run", async () => {
    const wf = workflow("a", [js("a", "outputs.n = (inputs.n ?? 0) + 1"), branch("b")], [edge("a", "b"), edge("b", "a")]);
    const result = await runtime.run(wf, { maxSteps: 50 });
    expect(result.status).toBe("failed");
    expect(result.error).toBe("MaxStepsExceededError: Exceeded max_steps=50. Possible infinite loop.");
    expect(result.steps).toBe(50);
  });

  it("full history mode drops a repeated (node, payload) arrival; summary mode runs it again", async () => {
    const wf = workflow("a", [js("a", "outputs.v = 1"), js("b", "outputs.ran = true")], [edge("a", "b"), edge("a", "b", { order: 1 })]);
    const full = await runtime.run(wf, { historyMode: "full" });
    const summary = await runtime.run(wf, { historyMode: "summary" });
    expect(ids(full.history)).toEqual(["a", "b"]);
    expect(ids(summary.history)).toEqual(["a", "b", "b"]);
  });
});

describe("results and history", () => {
  it("run outputs are full in summary mode while the stored history is summarised", async () => {
    const wf = workflow("a", [js("a", "outputs.text = 'x'.repeat(500); outputs.list = [1,2,3,4,5]")]);
    const result = await runtime.run(wf, { historyMode: "summary" });
    expect(result.outputs.text).toHaveLength(500);
    expect(result.outputs.list).toEqual([1, 2, 3, 4, 5]);
    expect(result.history[0]!.outputs).toEqual({
      text: { _type: "string", chars: 500, preview: "x".repeat(200) },
      list: { _type: "list", count: 5, preview: [1, 2, 3] },
    });
  });

  it("emits run and node events in order for a serial chain", async () => {
    const events: string[] = [];
    const wf = workflow("a", [js("a", "outputs.x = 1"), branch("b")], [edge("a", "b")]);
    const result = await runtime.run(wf, { onEvent: (e) => events.push(e.type === "node.finished" ? `${e.type}:${e.nodeId}:${e.status}` : "nodeId" in e ? `${e.type}:${e.nodeId}` : e.type) });
    expect(events).toEqual(["run.started", "node.started:a", "node.finished:a:succeeded", "node.started:b", "node.finished:b:succeeded", "run.finished"]);
    expect(result.steps).toBe(2);
  });
});

/**
 * Parity with Flocks' engine tests (reference flocks-llm.md §3: test_workflow_parallel.py,
 * test_workflow_node_timeout.py, test_workflow_cancellation.py, test_workflow_fixes.py), ported to
 * JavaScript nodes and tools. Where SPEC §3 deliberately differs, the test says so and asserts
 * flockflow's behaviour. Python-node ports belong to the Python runtime.
 */
import { afterAll, describe, expect, it } from "vitest";
import { createRuntime, InvalidOptionError } from "../../src/index.js";
import { branch, edge, js, tool, workflow } from "../support/workflows.js";
import { testTools } from "../support/tools.js";

const runtime = createRuntime({ tools: testTools() });
afterAll(() => runtime.close());

const sleeper = (id: string, ms: number, extra = "") => js(id, `await new Promise((r) => setTimeout(r, ${ms})); ${extra}`);

describe("test_workflow_parallel.py", () => {
  it("parallel_faster_than_serial: 3 × 150 ms siblings with 4 workers finish in < 0.40 s", async () => {
    await runtime.run(workflow("s", [sleeper("s", 1)]));
    const wf = workflow("s", [js("s", "outputs.x = 1"), sleeper("a", 150), sleeper("b", 150), sleeper("c", 150), js("end", "outputs.done = true", { join: true })], [edge("s", "a"), edge("s", "b", { order: 1 }), edge("s", "c", { order: 2 }), edge("a", "end"), edge("b", "end"), edge("c", "end")]);
    const t0 = performance.now();
    const result = await runtime.run(wf, { maxParallel: 4 });
    expect(performance.now() - t0).toBeLessThan(400);
    expect(result.steps).toBeGreaterThanOrEqual(5);
  });

  it("serial_fallback_when_workers_1: 3 × 100 ms take ≥ 0.25 s", async () => {
    const wf = workflow("s", [js("s", "outputs.x = 1"), sleeper("a", 100), sleeper("b", 100), sleeper("c", 100)], [edge("s", "a"), edge("s", "b", { order: 1 }), edge("s", "c", { order: 2 })]);
    const t0 = performance.now();
    await runtime.run(wf, { maxParallel: 1 });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(250);
  });

  it("parallel_results_correct and parallel_with_join_node: 4 siblings → {1,2,3,4}, one end step", async () => {
    const kids = [1, 2, 3, 4].map((n) => js(`w${n}`, `outputs.v${n} = ${n}`));
    const wf = workflow("s", [js("s", "outputs.x = 0"), ...kids, js("end", "outputs.values = [inputs.v1, inputs.v2, inputs.v3, inputs.v4]; outputs.done = true", { join: true })], [...kids.map((k, i) => edge("s", k.id, { order: i })), ...kids.map((k) => edge(k.id, "end"))]);
    const result = await runtime.run(wf);
    expect(result.outputs).toEqual({ values: [1, 2, 3, 4], done: true });
    expect(result.history.filter((s) => s.nodeId === "end")).toHaveLength(1);
  });

  it("single_node_no_parallel_overhead: a → b → c gives 3 steps, last c, z 3", async () => {
    const wf = workflow("a", [js("a", "outputs.x = 1"), js("b", "outputs.y = inputs.x + 1"), js("c", "outputs.z = inputs.y + 1")], [edge("a", "b"), edge("b", "c")]);
    const result = await runtime.run(wf);
    expect([result.steps, result.lastNodeId, result.outputs.z]).toEqual([3, "c", 3]);
  });

  it("one_node_fails_stop_on_error / one_node_fails_continue", async () => {
    const wf = workflow("s", [js("s", "outputs.x = 1"), js("ok1", "outputs.a = 1"), js("bad", "throw new Error('boom oops')"), js("ok2", "outputs.b = 1")], [edge("s", "ok1"), edge("s", "bad", { order: 1 }), edge("s", "ok2", { order: 2 })]);
    const stopping = await runtime.run(wf);
    expect(stopping.status).toBe("failed");
    expect(stopping.error).toContain("boom");
    const continuing = await runtime.run(wf, { stopOnError: false });
    expect(continuing.status).toBe("succeeded");
    expect(continuing.history.filter((s) => s.status === "succeeded" && s.nodeId !== "s")).toHaveLength(2);
    expect(continuing.history.find((s) => s.nodeId === "bad")!.error).toContain("oops");
  });

  it("hooks_called_for_each_parallel_node: start/finish events for start, 3 workers, end", async () => {
    const started: string[] = [];
    const finished: string[] = [];
    const wf = workflow("start", [js("start", "outputs.x = 1"), js("w1", "outputs.a = 1"), js("w2", "outputs.b = 1"), js("w3", "outputs.c = 1"), js("end", "outputs.d = 1", { join: true })], [edge("start", "w1"), edge("start", "w2", { order: 1 }), edge("start", "w3", { order: 2 }), edge("w1", "end"), edge("w2", "end"), edge("w3", "end")]);
    await runtime.run(wf, { onEvent: (e) => (e.type === "node.started" ? started.push(e.nodeId) : e.type === "node.finished" ? finished.push(e.nodeId) : 0) });
    expect([...started].sort()).toEqual(["end", "start", "w1", "w2", "w3"]);
    expect([...finished].sort()).toEqual(["end", "start", "w1", "w2", "w3"]);
  });

  it("parallel nodes using tool.run_safe all get ok results", async () => {
    const kids = ["p1", "p2", "p3"].map((id) => js(id, "outputs.r = tool.run_safe('upper', { text: 'ok:seed' }).text"));
    const wf = workflow("s", [js("s", "outputs.x = 1"), ...kids], kids.map((k, i) => edge("s", k.id, { order: i })));
    const result = await runtime.run(wf);
    expect(result.history.slice(1).map((s) => (s.outputs as { r: string }).r)).toEqual(["OK:SEED", "OK:SEED", "OK:SEED"]);
  });

  it("dedup_with_parallel_batch: duplicate edges in full history mode run b once", async () => {
    const wf = workflow("a", [js("a", "outputs.x = 1"), js("b", "outputs.y = 2")], [edge("a", "b"), edge("a", "b", { order: 1 })]);
    const result = await runtime.run(wf, { historyMode: "full" });
    expect(result.history.filter((s) => s.nodeId === "b")).toHaveLength(1);
  });

  it("parallel_timeout_marks_slow_node and parallel_timeout_is_non_fatal", async () => {
    const wf = workflow("s", [js("s", "outputs.x = 1"), sleeper("fast", 10, "outputs.ok = 1"), sleeper("slow", 5000)], [edge("s", "fast"), edge("s", "slow", { order: 1 })]);
    const t0 = performance.now();
    const result = await runtime.run(wf, { nodeTimeoutS: 0.3, stopOnError: true });
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(result.status).toBe("succeeded");
    expect(result.history.map((s) => [s.nodeId, s.status])).toEqual([["s", "succeeded"], ["fast", "succeeded"], ["slow", "timed_out"]]);
    // Flocks says "节点执行超时 (0.3s)"; flockflow reports in English with the same number.
    expect(result.history[2]!.error).toBe("Node 'slow' timed out after 0.3s");
  });

  it("branch_true_parallel_siblings: flag true runs a and both true children, not b", async () => {
    const wf = workflow("br", [branch("br", { select_key: "flag" }), js("a", "outputs.a = 1"), js("b", "outputs.b = 1"), js("c_true_1", "outputs.v = 10"), js("c_true_2", "outputs.v = 20")], [edge("br", "a", { label: "true" }), edge("br", "b", { label: "false" }), edge("br", "c_true_1", { label: "true", order: 1 }), edge("br", "c_true_2", { label: "true", order: 2 })]);
    const result = await runtime.run(wf, { inputs: { flag: true } });
    expect(result.history.map((s) => s.nodeId)).toEqual(["br", "a", "c_true_1", "c_true_2"]);
    expect(result.history.slice(2).map((s) => (s.outputs as { v: number }).v)).toEqual([10, 20]);
  });

  it("max_parallel_workers_zero_raises / negative_raises", async () => {
    const wf = workflow("a", [js("a", "outputs.x = 1")]);
    await expect(runtime.run(wf, { maxParallel: 0 })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(runtime.run(wf, { maxParallel: -1 })).rejects.toThrow("maxParallel must be an integer >= 1");
  });
});

describe("test_workflow_node_timeout.py", () => {
  it("node_timeout_skips_node_and_records_error: the next node runs without the timed-out node's outputs", async () => {
    const wf = workflow("slow", [sleeper("slow", 5000, "outputs.x = 1"), js("next", "outputs.y = (inputs.x ?? 0) + 10")], [edge("slow", "next")]);
    const result = await runtime.run(wf, { nodeTimeoutS: 1.0 });
    expect(result.steps).toBe(2);
    expect(result.history[0]!.error).toBe("Node 'slow' timed out after 1.0s");
    expect(result.history[0]!.outputs).toEqual({});
    expect(result.outputs).toEqual({ y: 10 });
  });

  it("node_timeout_none_disabled: null turns node timeouts off", async () => {
    const result = await runtime.run(workflow("a", [sleeper("a", 50, "outputs.x = 1")], [], { node_timeout_s: 0.01 }), { nodeTimeoutS: null });
    expect(result.outputs).toEqual({ x: 1 });
  });

  it("run_workflow_uses_metadata_node_timeout_default / explicit_node_timeout_overrides_metadata", async () => {
    const wf = workflow("a", [sleeper("a", 200, "outputs.ok = 1")], [], { node_timeout_s: 0.05 });
    const byMetadata = await runtime.run(wf);
    expect([byMetadata.status, byMetadata.history[0]!.status]).toEqual(["succeeded", "timed_out"]);
    const explicit = await runtime.run(wf, { nodeTimeoutS: 1.0 });
    expect(explicit.outputs).toEqual({ ok: 1 });
  });
});

describe("test_workflow_cancellation.py (JavaScript and tool nodes)", () => {
  it("cancels_during_code_node: a 500 × 10 ms loop cancelled at 50 ms → cancelled, outputs {}", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const t0 = performance.now();
    const result = await runtime.run(workflow("loop", [js("loop", "for (let i = 0; i < 500; i++) { await new Promise((r) => setTimeout(r, 10)); } outputs.done = true")]), { signal: controller.signal });
    expect(performance.now() - t0).toBeLessThan(1000);
    expect([result.status, result.outputs]).toEqual(["cancelled", {}]);
  });

  it("stops_after_cancel_signal: cancel after step1 → history [step1], outputs {value: 1}", async () => {
    const controller = new AbortController();
    const wf = workflow("step1", [js("step1", "outputs.value = 1"), js("step2", "outputs.value = 2")], [edge("step1", "step2")]);
    const result = await runtime.run(wf, { signal: controller.signal, onEvent: (e) => e.type === "node.finished" && controller.abort() });
    expect(result.status).toBe("cancelled");
    expect(result.history.map((s) => s.nodeId)).toEqual(["step1"]);
    expect(result.outputs).toEqual({ value: 1 });
    expect(result.error).not.toBeNull();
  });

  it("cancels_native_tool_node: a 5 s tool cancelled at 50 ms → cancelled in < 1 s", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const t0 = performance.now();
    const result = await runtime.run(workflow("t", [tool("t", "sleep", { tool_args: { ms: 5000 } })]), { signal: controller.signal });
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(result.status).toBe("cancelled");
  });
});

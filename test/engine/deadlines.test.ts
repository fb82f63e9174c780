import { afterAll, describe, expect, it } from "vitest";
import { createRuntime } from "../../src/index.js";
import { edge, js, tool, workflow } from "../support/workflows.js";
import { testTools, type ToolLog } from "../support/tools.js";

const log: ToolLog = { started: [], finished: [], aborted: [] };
const runtime = createRuntime({ tools: testTools(log) });
afterAll(() => runtime.close());

describe("node deadlines", () => {
  it("stops a `while (true) {}` node with timeout_s 1 within 1.5 s; the step is timed_out and the successor runs", async () => {
    const wf = workflow("spin", [js("spin", "while (true) {}", { timeout_s: 1 }), js("next", "outputs.after = inputs.x")], [edge("spin", "next")]);
    const t0 = performance.now();
    const result = await runtime.run(wf, { inputs: { x: 7 } });
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(1500);
    expect(result.status).toBe("succeeded");
    expect(result.history.map((s) => [s.nodeId, s.status])).toEqual([["spin", "timed_out"], ["next", "succeeded"]]);
    expect(result.history[0]!.errorType).toBe("TimeoutError");
    expect(result.history[0]!.error).toBe("Node 'spin' timed out after 1.0s");
    expect(result.history[0]!.outputs).toEqual({});
    expect(result.outputs).toEqual({ after: 7 });
  });

  it("a timed-out node's work is really stopped: it makes no tool call after its deadline", async () => {
    const calls: number[] = [];
    const counting = createRuntime({ tools: { tick: () => calls.push(performance.now()) } });
    try {
      const wf = workflow("busy", [js("busy", "for (;;) { tool.run('tick', {}); const t = Date.now(); while (Date.now() - t < 20) {} }", { timeout_s: 0.5 })]);
      const result = await counting.run(wf);
      expect(result.history[0]!.status).toBe("timed_out");
      const atEnd = calls.length;
      expect(atEnd).toBeGreaterThanOrEqual(1);
      await new Promise((r) => setTimeout(r, 300));
      expect(calls.length).toBe(atEnd);
    } finally {
      await counting.close();
    }
  });

  it("with metadata.on_node_timeout 'fail' a node timeout fails the run", async () => {
    const wf = workflow("spin", [js("spin", "while (true) {}", { timeout_s: 0.3 }), js("next", "outputs.ran = true")], [edge("spin", "next")], { on_node_timeout: "fail" });
    const result = await runtime.run(wf);
    expect(result.status).toBe("failed");
    expect(result.history.map((s) => s.status)).toEqual(["timed_out"]);
    expect(result.error).toBe("spin: TimeoutError: Node 'spin' timed out after 0.3s");
  });

  it("measures each node's deadline from its own start, also behind the parallel limit", async () => {
    // Three 300 ms nodes one at a time with a 500 ms node timeout: Flocks' single batch deadline
    // would time out the last two; here each node has its own 500 ms.
    const wf = workflow(
      "root",
      [js("root", "outputs.r = 1"), tool("a", "sleep", { tool_args: { ms: 300 } }), tool("b", "sleep", { tool_args: { ms: 300 } }), tool("c", "sleep", { tool_args: { ms: 300 } })],
      [edge("root", "a"), edge("root", "b", { order: 1 }), edge("root", "c", { order: 2 })],
    );
    const result = await runtime.run(wf, { maxParallel: 1, nodeTimeoutS: 0.5 });
    expect(result.history.map((s) => s.status)).toEqual(["succeeded", "succeeded", "succeeded", "succeeded"]);
  });

  it("metadata.node_timeout_s applies, the run option overrides it, and a node's timeout_s wins over both", async () => {
    const nodes = (own?: number) => [tool("s", "sleep", { tool_args: { ms: 400 }, ...(own ? { timeout_s: own } : {}) })];
    const byMetadata = await runtime.run(workflow("s", nodes(), [], { node_timeout_s: 0.1 }));
    expect(byMetadata.history[0]!.status).toBe("timed_out");
    const byOption = await runtime.run(workflow("s", nodes(), [], { node_timeout_s: 0.1 }), { nodeTimeoutS: 5 });
    expect(byOption.history[0]!.status).toBe("succeeded");
    const byNode = await runtime.run(workflow("s", nodes(0.1), [], { node_timeout_s: 5 }), { nodeTimeoutS: 5 });
    expect(byNode.history[0]!.status).toBe("timed_out");
    const off = await runtime.run(workflow("s", nodes(), [], { node_timeout_s: 0.1 }), { nodeTimeoutS: 0 });
    expect(off.history[0]!.status).toBe("succeeded");
  });

  it("a TimeoutError thrown by user code is an ordinary node failure, not a node timeout", async () => {
    const wf = workflow("a", [js("a", "const e = new Error('upstream slow'); e.name = 'TimeoutError'; throw e;")]);
    const result = await runtime.run(wf);
    expect(result.status).toBe("failed");
    expect(result.history[0]!.status).toBe("failed");
    expect(result.error).toBe("a: TimeoutError: upstream slow");
  });

  it("the run timeout pre-empts an in-flight node at once and aborts its tool signal", async () => {
    const before = log.aborted.length;
    const wf = workflow("s", [tool("s", "sleep", { tool_args: { ms: 5000 } }), js("after", "outputs.x = 1")], [edge("s", "after")]);
    const t0 = performance.now();
    const result = await runtime.run(wf, { timeoutS: 0.3 });
    const elapsed = performance.now() - t0;
    expect(result.status).toBe("timed_out");
    expect(elapsed).toBeLessThan(800);
    expect(result.history.map((s) => [s.nodeId, s.status])).toEqual([["s", "timed_out"]]);
    expect(result.error).toMatch(/^TimeoutError: Run timed out: run_id=\w+ timeout_s=0.3$/);
    expect(log.aborted.slice(before).map((a) => a.reason)).toEqual(["TimeoutError"]);
  });
});

import { afterAll, describe, expect, it } from "vitest";
import { createRuntime } from "../../src/index.js";
import { edge, js, tool, workflow } from "../support/workflows.js";
import { testTools } from "../support/tools.js";

const runtime = createRuntime({ tools: testTools() });
afterAll(() => runtime.close());

const threeSleepers = (kind: "tool" | "javascript") =>
  workflow(
    "root",
    [
      js("root", "outputs.start = true"),
      ...["a", "b", "c"].map((id) => (kind === "tool" ? tool(id, "sleep", { tool_args: { ms: 300, tag: id } }) : js(id, `outputs.${id} = tool.run('sleep', { ms: 300, tag: '${id}' }).tag`))),
    ],
    [edge("root", "a"), edge("root", "b", { order: 1 }), edge("root", "c", { order: 2 })],
  );

describe("parallel batches", () => {
  // Warm the worker pool so thread start-up is not part of the measured JavaScript runs.
  it("warms up", async () => {
    const result = await runtime.run(threeSleepers("javascript"));
    expect(result.status).toBe("succeeded");
  });

  for (const kind of ["tool", "javascript"] as const) {
    it(`three ${kind} siblings sleeping 300 ms finish in under 500 ms with max_parallel 4`, async () => {
      const t0 = performance.now();
      const result = await runtime.run(threeSleepers(kind), { maxParallel: 4 });
      const elapsed = performance.now() - t0;
      expect(result.status).toBe("succeeded");
      expect(result.steps).toBe(4);
      expect(elapsed).toBeGreaterThanOrEqual(290);
      expect(elapsed).toBeLessThan(500);
    });

    it(`three ${kind} siblings take at least 900 ms with max_parallel 1`, async () => {
      const t0 = performance.now();
      const result = await runtime.run(threeSleepers(kind), { maxParallel: 1 });
      expect(performance.now() - t0).toBeGreaterThanOrEqual(900);
      expect(result.history.map((s) => s.nodeId)).toEqual(["root", "a", "b", "c"]);
    });
  }

  it("records outcomes in batch order whatever finished first", async () => {
    const wf = workflow(
      "root",
      [js("root", "outputs.r = 1"), tool("slow", "sleep", { tool_args: { ms: 150 } }), tool("fast", "sleep", { tool_args: { ms: 10 } })],
      [edge("root", "slow"), edge("root", "fast", { order: 1 })],
    );
    const result = await runtime.run(wf);
    expect(result.history.map((s) => s.nodeId)).toEqual(["root", "slow", "fast"]);
    expect(result.lastNodeId).toBe("fast");
  });

  it("gives every sibling its own deep copy of the payload", async () => {
    const wf = workflow(
      "root",
      [
        js("root", "outputs.shared = { list: [1], nested: { v: 'orig' } }"),
        js("mutator", "inputs.shared.list.push(99); inputs.shared.nested.v = 'changed'; outputs.mine = inputs.shared"),
        js("reader", "await new Promise((r) => setTimeout(r, 50)); outputs.seen = inputs.shared"),
        tool("tool_reader", "echo"),
      ],
      [edge("root", "mutator"), edge("root", "reader", { order: 1 }), edge("root", "tool_reader", { order: 2 })],
    );
    const result = await runtime.run(wf, { historyMode: "full" });
    const byNode = Object.fromEntries(result.history.map((s) => [s.nodeId, s.outputs as Record<string, any>]));
    expect(byNode.mutator!.mine).toEqual({ list: [1, 99], nested: { v: "changed" } });
    expect(byNode.reader!.seen).toEqual({ list: [1], nested: { v: "orig" } });
    expect(byNode.tool_reader!.result.shared).toEqual({ list: [1], nested: { v: "orig" } });
    expect(result.history[1]!.inputs).toEqual({ shared: { list: [1], nested: { v: "orig" } } });
  });

  it("captures console.log per node, also for nodes running at the same time", async () => {
    const wf = workflow(
      "root",
      [
        js("root", "outputs.r = 1"),
        ...["p", "q"].map((id) => js(id, `for (let i = 0; i < 3; i++) { console.log('${id}', i); await new Promise((r) => setTimeout(r, 5)); }`)),
      ],
      [edge("root", "p"), edge("root", "q", { order: 1 })],
    );
    const result = await runtime.run(wf);
    const stdout = Object.fromEntries(result.history.map((s) => [s.nodeId, s.stdout]));
    expect(stdout.p).toBe("p 0\np 1\np 2\n");
    expect(stdout.q).toBe("q 0\nq 1\nq 2\n");
  });

  it("tool.runAsync fans out inside one node", async () => {
    const wf = workflow("f", [js("f", "const r = await Promise.all(['x','y','z'].map((t) => tool.runAsync('sleep', { ms: 200, tag: t }))); outputs.tags = r.map((v) => v.tag)")]);
    const t0 = performance.now();
    const result = await runtime.run(wf);
    expect(result.outputs.tags).toEqual(["x", "y", "z"]);
    expect(performance.now() - t0).toBeLessThan(450);
  });
});

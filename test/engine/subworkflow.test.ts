import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createRuntime } from "../../src/index.js";
import { testTools, type ToolLog } from "../support/tools.js";

const fixtures = path.resolve(import.meta.dirname, "../fixtures/subflows");
const log: ToolLog = { started: [], finished: [], aborted: [] };
const runtime = createRuntime({ tools: testTools(log) });
afterAll(() => runtime.close());

const sub = (workflowId: string, extra: Record<string, unknown> = {}) => ({
  start: "call",
  nodes: [{ id: "call", type: "subworkflow", workflow_id: workflowId, ...extra }],
  edges: [],
});

describe("subworkflow nodes", () => {
  it("finds a sibling folder, maps inputs (missing → null), and passes the child's full outputs downstream", async () => {
    const result = await runtime.run(path.join(fixtures, "parent"));
    expect(result.status).toBe("succeeded");
    expect(result.outputs).toEqual({ total: 60, textLength: 300, absent: null });
  });

  it("finds children in --workflows roots", async () => {
    const rooted = createRuntime({ workflowDirs: [fixtures] });
    try {
      const result = await rooted.run(sub("child", { inputs_const: { values: [4], factor: 2, text: "t" } }));
      // `absent` was undefined in the child, and undefined does not survive JSON.
      expect(result.outputs).toEqual({ output: { total: 8, text: "t" } });
    } finally {
      await rooted.close();
    }
  });

  it("fails clearly when the child is not found, listing where it looked", async () => {
    const result = await runtime.run(sub("no_such_flow"));
    expect(result.status).toBe("failed");
    expect(result.error).toMatch(/^call: WorkflowNotFoundError: Sub-workflow 'no_such_flow' not found; looked in:/);
  });

  it("rejects ids that could escape the workflow roots", async () => {
    const result = await runtime.run(sub("../child"));
    expect(result.error).toMatch(/^call: SubworkflowError: Invalid sub-workflow id '\.\.\/child'/);
  });

  it("limits nesting to depth 1", async () => {
    const limited = createRuntime({ workflowDirs: [fixtures] });
    try {
      const result = await limited.run(sub("nesting"));
      expect(result.status).toBe("failed");
      expect(result.error).toMatch(/^call: SubworkflowError: Sub-workflow 'nesting' failed: inner: SubworkflowError: Sub-workflow 'child' cannot run inside a sub-workflow/);
    } finally {
      await limited.close();
    }
  });

  it("uses the child's own metadata for node timeouts", async () => {
    const scoped = createRuntime({ workflowDirs: [fixtures] });
    try {
      const t0 = performance.now();
      const result = await scoped.run(sub("timeouts_child"), { nodeTimeoutS: 60 });
      expect(performance.now() - t0).toBeLessThan(1500);
      expect(result.error).toBe("call: SubworkflowError: Sub-workflow 'timeouts_child' failed: spin: TimeoutError: Node 'spin' timed out after 0.2s");
    } finally {
      await scoped.close();
    }
  });

  it("inherits cancellation: cancelling the parent stops the child's tool at once", async () => {
    const scoped = createRuntime({ workflowDirs: [fixtures], tools: testTools(log) });
    try {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 150);
      const t0 = performance.now();
      const result = await scoped.run(sub("slow_child"), { signal: controller.signal });
      expect(performance.now() - t0).toBeLessThan(400);
      expect(result.status).toBe("cancelled");
      expect(result.history.map((s) => s.status)).toEqual(["cancelled"]);
      expect(log.aborted.at(-1)).toMatchObject({ nodeId: "wait", reason: "RunCancelledError" });
    } finally {
      await scoped.close();
    }
  });

  it("inherits the remaining run budget", async () => {
    const scoped = createRuntime({ workflowDirs: [fixtures], tools: testTools(log) });
    try {
      const t0 = performance.now();
      const result = await scoped.run(sub("slow_child"), { timeoutS: 0.3 });
      expect(performance.now() - t0).toBeLessThan(700);
      expect(result.status).toBe("timed_out");
      expect(result.history.map((s) => [s.nodeId, s.status])).toEqual([["call", "timed_out"]]);
    } finally {
      await scoped.close();
    }
  });
});

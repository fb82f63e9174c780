import { afterAll, describe, expect, it } from "vitest";
import { createRuntime } from "../../src/index.js";
import { TimeoutError } from "../../src/errors.js";
import { edge, js, tool, workflow } from "../support/workflows.js";
import { testTools, type ToolLog } from "../support/tools.js";

const log: ToolLog = { started: [], finished: [], aborted: [] };
const runtime = createRuntime({ tools: testTools(log) });
afterAll(() => runtime.close());

/** Aborts once `ready()` holds (polled every 5 ms, bounded), so a slow machine cannot cancel too early. */
function cancelWhen(ready: () => boolean, limitMs = 5000): { controller: AbortController; firedAt: () => number } {
  const controller = new AbortController();
  let at = 0;
  const end = performance.now() + limitMs;
  const poll = setInterval(() => {
    if (!ready() && performance.now() < end) return;
    clearInterval(poll);
    at = performance.now();
    controller.abort();
  }, 5);
  return { controller, firedAt: () => at };
}


describe("cancellation", () => {
  it("a cancel while a batch runs settles within 100 ms, keeps finished steps and marks the rest cancelled", async () => {
    const wf = workflow(
      "root",
      [
        js("root", "outputs.r = 1"),
        tool("quick", "sleep", { tool_args: { ms: 20 } }),
        js("spinning", "while (true) {}"),
        tool("sleeping", "sleep", { tool_args: { ms: 10000 } }),
        tool("queued", "sleep", { tool_args: { ms: 10 } }),
        js("after", "outputs.never = true"),
      ],
      [edge("root", "quick"), edge("root", "spinning", { order: 1 }), edge("root", "sleeping", { order: 2 }), edge("root", "queued", { order: 3 }), edge("quick", "after")],
    );
    // Cancel once the quick siblings are done and the spinning node is running.
    const { controller, firedAt } = cancelWhen(() => log.finished.includes("queued") && log.started.includes("sleeping"));
    const result = await runtime.run(wf, { signal: controller.signal, maxParallel: 3 });
    const settleMs = performance.now() - firedAt();
    expect(settleMs).toBeLessThan(100);
    expect(result.status).toBe("cancelled");
    expect(result.error).toMatch(/^RunCancelledError: Run cancelled: run_id=/);
    expect(result.history.map((s) => [s.nodeId, s.status])).toEqual([
      ["root", "succeeded"],
      ["quick", "succeeded"],
      ["spinning", "cancelled"],
      ["sleeping", "cancelled"],
      ["queued", "succeeded"],
    ]);
    expect(log.aborted.filter((a) => a.nodeId === "sleeping").map((a) => a.reason)).toEqual(["RunCancelledError"]);
  });

  it("a tool that ignores its signal is abandoned: the run ends cancelled without waiting for it", async () => {
    const wf = workflow("s", [tool("s", "stubborn", { tool_args: { ms: 3000 } })]);
    const startedBefore = log.started.filter((id) => id === "s").length;
    const { controller, firedAt } = cancelWhen(() => log.started.filter((id) => id === "s").length > startedBefore);
    const result = await runtime.run(wf, { signal: controller.signal });
    expect(performance.now() - firedAt()).toBeLessThan(100);
    expect(result.status).toBe("cancelled");
    expect(result.history[0]!.status).toBe("cancelled");
  });

  it("cancelling a JavaScript node blocked in a synchronous tool call terminates it and aborts the tool", async () => {
    const before = log.aborted.length;
    const wf = workflow("c", [js("c", "console.log('calling'); tool.run('sleep', { ms: 10000 }); outputs.x = 1")]);
    const startedBefore = log.started.filter((id) => id === "c").length;
    const { controller, firedAt } = cancelWhen(() => log.started.filter((id) => id === "c").length > startedBefore);
    const result = await runtime.run(wf, { signal: controller.signal });
    expect(performance.now() - firedAt()).toBeLessThan(100);
    expect(result.status).toBe("cancelled");
    expect(result.history[0]!.status).toBe("cancelled");
    expect(log.aborted.slice(before).map((a) => [a.nodeId, a.reason])).toEqual([["c", "RunCancelledError"]]);
  });

  it("a signal aborted before the run starts ends it cancelled with no step", async () => {
    const controller = new AbortController();
    controller.abort();
    const result = await runtime.run(workflow("a", [js("a", "outputs.x = 1")]), { signal: controller.signal });
    expect(result.status).toBe("cancelled");
    expect(result.steps).toBe(0);
  });

  it("a cancel between batches stops before the next batch and keeps the last outputs", async () => {
    const controller = new AbortController();
    const wf = workflow("a", [js("a", "outputs.value = 1"), js("b", "outputs.value = 2")], [edge("a", "b")]);
    const result = await runtime.run(wf, {
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === "node.finished" && e.nodeId === "a") controller.abort();
      },
    });
    expect(result.status).toBe("cancelled");
    expect(result.history.map((s) => s.nodeId)).toEqual(["a"]);
    expect(result.outputs).toEqual({ value: 1 });
  });

  it("any abort of the caller's signal is a cancel, whatever its reason", async () => {
    const controller = new AbortController();
    controller.abort(new TimeoutError("run", 1000, "the caller's own deadline"));
    const result = await runtime.run(workflow("a", [js("a", "outputs.x = 1")]), { signal: controller.signal });
    expect(result.status).toBe("cancelled");
    expect(result.error).toMatch(/^RunCancelledError: /);
  });

  it("a cancel from a node.started listener stops that node at once", async () => {
    const controller = new AbortController();
    const wf = workflow("s", [tool("s", "sleep", { tool_args: { ms: 10000 } })]);
    const t0 = performance.now();
    const result = await runtime.run(wf, {
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === "node.started") controller.abort();
      },
    });
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(result.status).toBe("cancelled");
    expect(result.history.map((s) => [s.nodeId, s.status])).toEqual([["s", "cancelled"]]);
  });
});

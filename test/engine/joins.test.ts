import { afterAll, describe, expect, it } from "vitest";
import { createRuntime } from "../../src/index.js";
import { branch, edge, js, workflow } from "../support/workflows.js";

const runtime = createRuntime();
afterAll(() => runtime.close());

const fanIn = (joinExtra: Record<string, unknown> = {}) =>
  workflow(
    "src",
    [
      js("src", "outputs.base = 1"),
      js("left", "outputs.shared = 'left'; outputs.l = 1"),
      js("right", "outputs.shared = 'right'; outputs.r = 2"),
      js("join", "outputs.merged = inputs", { join: true, ...joinExtra }),
    ],
    [edge("src", "left"), edge("src", "right", { order: 1 }), edge("left", "join"), edge("right", "join")],
  );

describe("joins", () => {
  it("runs the join once with a flat merge in sorted source order (last writer wins)", async () => {
    const result = await runtime.run(fanIn());
    expect(result.history.map((s) => s.nodeId)).toEqual(["src", "left", "right", "join"]);
    expect(result.outputs.merged).toEqual({ base: 1, shared: "right", l: 1, r: 2 });
  });

  it("namespace mode also keeps each source's payload under the namespace key", async () => {
    const result = await runtime.run(fanIn({ join_mode: "namespace" }));
    const merged = result.outputs.merged as Record<string, any>;
    expect(merged.__by_source__.left).toEqual({ base: 1, shared: "left", l: 1 });
    expect(merged.__by_source__.right).toEqual({ base: 1, shared: "right", r: 2 });
  });

  it("join_conflict error records a failed step of the join node and fails the run", async () => {
    const result = await runtime.run(fanIn({ join_conflict: "error" }));
    expect(result.status).toBe("failed");
    const last = result.history.at(-1)!;
    expect(last.nodeId).toBe("join");
    expect(last.status).toBe("failed");
    expect(last.errorType).toBe("JoinConflictError");
    expect(result.error).toMatch(/^join: JoinConflictError: join conflict at 'join': key 'shared'/);
  });

  it("a `__proto__` key arriving at a join stays an ordinary key of the merged payload", async () => {
    const own = "Object.defineProperty(outputs, '__proto__', { value: { polluted: true }, enumerable: true, writable: true, configurable: true }); outputs.l = 1";
    const wf = workflow(
      "src",
      [js("src", "outputs.base = 1"), js("left", own), js("right", "outputs.r = 2"), js("join", "outputs.keys = Object.keys(inputs).sort(); outputs.polluted = inputs.polluted === true; outputs.value = inputs['__proto__']", { join: true })],
      [edge("src", "left"), edge("src", "right", { order: 1 }), edge("left", "join"), edge("right", "join")],
    );
    const result = await runtime.run(wf);
    expect(result.error).toBeNull();
    expect(result.outputs).toEqual({ keys: ["__proto__", "base", "l", "r"], polluted: false, value: { polluted: true } });
  });

  it("two edges from one source complete the join (distinct sources are counted)", async () => {
    const wf = workflow("a", [js("a", "outputs.v = 1"), js("j", "outputs.done = true", { join: true })], [edge("a", "j"), edge("a", "j", { order: 1, const: { second: true } })]);
    const result = await runtime.run(wf);
    expect(result.status).toBe("succeeded");
    expect(result.outputs).toEqual({ done: true });
  });

  it("a join behind exclusive branches fails the run at the end, naming what it saw", async () => {
    const wf = workflow(
      "b",
      [branch("b", { select_key: "go" }), js("x", "outputs.x = 1"), js("y", "outputs.y = 1"), js("j", "outputs.ok = 1", { join: true })],
      [edge("b", "x", { label: "x" }), edge("b", "y", { label: "y" }), edge("x", "j"), edge("y", "j")],
    );
    const result = await runtime.run(wf, { inputs: { go: "x" } });
    expect(result.status).toBe("failed");
    expect(result.error).toBe("PendingJoinError: Join node(s) did not receive all incoming inputs: j expected=[x, y] seen=[x]");
  });

  it("joins work again on every turn of a loop", async () => {
    const wf = workflow(
      "start",
      [
        js("start", "outputs.turn = 0"),
        js("a", "outputs.fromA = inputs.turn"),
        js("b", "outputs.fromB = inputs.turn"),
        js("j", "outputs.turn = inputs.turn + 1; outputs.more = outputs.turn < 3; outputs.pairs = [...(inputs.pairs ?? []), [inputs.fromA, inputs.fromB]]", { join: true }),
        branch("loop", { select_key: "more" }),
        js("end", "outputs.pairs = inputs.pairs"),
      ],
      [edge("start", "a"), edge("start", "b", { order: 1 }), edge("a", "j", { mapping: { fromA: "fromA", turn: "turn", pairs: "pairs" } }), edge("b", "j", { mapping: { fromB: "fromB" } }), edge("j", "loop"), edge("loop", "a", { label: "true" }), edge("loop", "b", { label: "true", order: 1 }), edge("loop", "end", { label: "false" })],
    );
    const result = await runtime.run(wf);
    expect(result.status).toBe("succeeded");
    expect(result.outputs.pairs).toEqual([[0, 0], [1, 1], [2, 2]]);
  });
});

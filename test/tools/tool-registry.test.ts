import path from "node:path";
import { describe, expect, it } from "vitest";
import { RunCancelledError, TimeoutError } from "../../src/errors.js";
import { loadToolModule } from "../../src/tools/load-tool-modules.js";
import { toPythonJson } from "../../src/tools/python-json.js";
import { ToolRegistry, envelopeText } from "../../src/tools/tool-registry.js";

const ctx = (signal = new AbortController().signal) => ({ signal, runId: "r", nodeId: "n" });

describe("run_safe envelope (Flocks parity)", () => {
  const registry = new ToolRegistry();
  registry.registerAll({
    str: () => "plain text",
    dict: () => ({ results: [1, 2], name: "é" }),
    none: () => null,
    list: () => [1, 2, 3],
    error: () => {
      throw new Error("bad input");
    },
  });

  it("string output: text and obj are the string", async () => {
    expect(await registry.runSafe("str", {}, ctx())).toEqual({ success: true, text: "plain text", obj: "plain text", error: null });
  });
  it("dict output: text is Python-style JSON with raw non-ASCII", async () => {
    expect(await registry.runSafe("dict", {}, ctx())).toEqual({ success: true, text: '{"results": [1, 2], "name": "é"}', obj: { results: [1, 2], name: "é" }, error: null });
  });
  it('none output: text "" and obj null', async () => {
    expect(await registry.runSafe("none", {}, ctx())).toEqual({ success: true, text: "", obj: null, error: null });
  });
  it('list output: text exactly "[1, 2, 3]"', async () => {
    expect((await registry.runSafe("list", {}, ctx())).text).toBe("[1, 2, 3]");
  });
  it("an error gives success false, text '', obj null and the message", async () => {
    expect(await registry.runSafe("error", {}, ctx())).toEqual({ success: false, text: "", obj: null, error: "Tool 'error' failed: Error: bad input" });
  });
  it("an unknown tool gives success false naming it", async () => {
    expect(await registry.runSafe("nope", {}, ctx())).toEqual({ success: false, text: "", obj: null, error: "Tool not found: 'nope'" });
  });

  it("lets RunCancelledError through untouched (never an envelope)", async () => {
    const reason = new RunCancelledError("r");
    const cancelling = new ToolRegistry();
    cancelling.register("c", () => {
      throw reason;
    });
    await expect(cancelling.runSafe("c", {}, ctx())).rejects.toBe(reason);
  });

  it("lets the node's deadline through when the signal aborts mid-call", async () => {
    const slow = new ToolRegistry();
    slow.register("slow", () => new Promise(() => {}));
    const controller = new AbortController();
    const deadline = new TimeoutError("node", 50);
    setTimeout(() => controller.abort(deadline), 20);
    await expect(slow.runSafe("slow", {}, ctx(controller.signal))).rejects.toBe(deadline);
  });
});

describe("ToolRegistry.run", () => {
  it("wraps failures as ToolError naming the tool and the cause's type", async () => {
    const registry = new ToolRegistry();
    registry.register("t", () => {
      throw new TypeError("x is not a function");
    });
    await expect(registry.run("t", {}, ctx())).rejects.toMatchObject({ name: "ToolError", code: "FF_TOOL_FAILED", message: "Tool 't' failed: TypeError: x is not a function" });
  });

  it("abandons a tool that ignores its signal: settles with the reason at once and drops the late result", async () => {
    const registry = new ToolRegistry();
    let finished = false;
    registry.register("stubborn", () => new Promise((resolve) => setTimeout(() => { finished = true; resolve(1); }, 300)));
    const controller = new AbortController();
    const reason = new RunCancelledError("r");
    setTimeout(() => controller.abort(reason), 30);
    const t0 = performance.now();
    await expect(registry.run("stubborn", {}, ctx(controller.signal))).rejects.toBe(reason);
    expect(performance.now() - t0).toBeLessThan(150);
    expect(finished).toBe(false);
  });

  it("leaves no abort listener on the signal after success or failure", async () => {
    const registry = new ToolRegistry();
    registry.register("ok", async () => 1);
    registry.register("bad", async () => { throw new Error("x"); });
    const controller = new AbortController();
    let added = 0;
    let removed = 0;
    const signal = controller.signal;
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener = ((...a: Parameters<typeof add>) => { added++; add(...a); }) as typeof add;
    signal.removeEventListener = ((...a: Parameters<typeof remove>) => { removed++; remove(...a); }) as typeof remove;
    for (let i = 0; i < 10; i++) {
      await registry.run("ok", {}, ctx(signal));
      await registry.run("bad", {}, ctx(signal)).catch(() => {});
    }
    expect(added).toBe(20);
    expect(removed).toBe(20);
  });
});

describe("tools modules", () => {
  const dir = path.resolve(import.meta.dirname, "../fixtures/tools");
  it("loads functions and {description, parameters, run} entries", async () => {
    const tools = await loadToolModule(path.join(dir, "good.mjs"));
    const registry = new ToolRegistry();
    registry.registerAll(tools);
    expect(registry.names()).toEqual(["add", "described"]);
    expect(await registry.run("add", { a: 2, b: 3 }, ctx())).toBe(5);
    expect(await registry.run("described", { name: "x" }, ctx())).toBe("hello x");
    expect(registry.get("described")?.description).toBe("Greets");
  });
  it("rejects a module whose entries are not tools, naming the file and the tool", async () => {
    await expect(loadToolModule(path.join(dir, "bad.mjs"))).rejects.toMatchObject({ name: "ToolModuleError", message: expect.stringMatching(/bad\.mjs: tool 'broken' must be a function/) });
  });
  it("rejects a missing module, naming it", async () => {
    await expect(loadToolModule(path.join(dir, "missing.mjs"))).rejects.toMatchObject({ name: "ToolModuleError", message: expect.stringContaining("missing.mjs: cannot be imported") });
  });
});

describe("Python-style JSON", () => {
  it("uses ', ' and ': ' separators and keeps non-ASCII raw", () => {
    expect(toPythonJson({ a: [1, { b: "ü" }], c: null, d: true })).toBe('{"a": [1, {"b": "ü"}], "c": null, "d": true}');
    expect(envelopeText("s")).toBe("s");
    expect(envelopeText(undefined)).toBe("");
  });
});

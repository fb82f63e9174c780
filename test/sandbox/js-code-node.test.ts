import { afterAll, describe, expect, it } from "vitest";
import { createRuntime, RunCancelledError } from "../../src/index.js";
import { JsWorkerPool } from "../../src/sandbox/js/js-worker-pool.js";
import { js, workflow } from "../support/workflows.js";
import { testTools } from "../support/tools.js";

const runtime = createRuntime({ tools: testTools() });
afterAll(() => runtime.close());

const runCode = async (code: string, inputs: Record<string, unknown> = {}) => runtime.run(workflow("n", [js("n", code)]), { inputs });

describe("javascript code nodes: what user code sees", () => {
  it("has no Node built-ins: process and require are undefined", async () => {
    const result = await runCode("outputs.process = typeof process; outputs.require = typeof require; outputs.globalProcess = typeof globalThis.process; outputs.buffer = typeof Buffer");
    expect(result.outputs).toEqual({ process: "undefined", require: "undefined", globalProcess: "undefined", buffer: "undefined" });
  });

  it("refuses import() of any module", async () => {
    const result = await runCode("await import('node:fs')");
    expect(result.status).toBe("failed");
    expect(result.history[0]!.errorType).toBe("TypeError");
  });

  it("cannot reach the host through constructors of the globals it is given", async () => {
    const result = await runCode(
      [
        "outputs.viaTool = tool.run.constructor('return typeof process')();",
        "outputs.viaGetPath = get_path.constructor('return typeof process')();",
        "outputs.viaInputs = inputs.constructor.constructor('return typeof process')();",
        "outputs.viaResult = tool.run('echo', { a: 1 }).constructor.constructor('return typeof process')();",
        "outputs.viaConsole = console.log.constructor('return typeof process')();",
      ].join("\n"),
      { x: { y: 1 } },
    );
    expect(result.outputs).toEqual({ viaTool: "undefined", viaGetPath: "undefined", viaInputs: "undefined", viaResult: "undefined", viaConsole: "undefined" });
  });

  it("supports top-level await, reassigning outputs, and get_path", async () => {
    const result = await runCode("await new Promise((r) => setTimeout(r, 5)); outputs = { deep: get_path('a.list.1.v'), missing: get_path('a.nope'), other: get_path('k', { k: 3 }) };", { a: { list: [{ v: 1 }, { v: 2 }] } });
    expect(result.outputs).toEqual({ deep: 2, missing: null, other: 3 });
  });

  it("tool.run_safe returns Flocks' envelope and tool.run throws a ToolError the code can catch", async () => {
    const result = await runCode(
      [
        "outputs.ok = tool.run_safe('echo', { k: 'é' });",
        "outputs.bad = tool.run_safe('fail', { message: 'nope' });",
        "try { tool.run('fail', { message: 'boom' }) } catch (e) { outputs.caught = [e.name, e.message] }",
        "try { tool.run('missing_tool', {}) } catch (e) { outputs.missing = [e.name, e.message] }",
      ].join("\n"),
    );
    expect(result.outputs.ok).toEqual({ success: true, text: '{"k": "é"}', obj: { k: "é" }, error: null });
    expect(result.outputs.bad).toEqual({ success: false, text: "", obj: null, error: "Tool 'fail' failed: Error: nope" });
    expect(result.outputs.caught).toEqual(["ToolError", "Tool 'fail' failed: Error: boom"]);
    expect(result.outputs.missing).toEqual(["ToolNotFoundError", "Tool not found: 'missing_tool'"]);
  });

  it("reports errors with the user's type, a traceback with node-relative lines, and the stdout so far", async () => {
    const result = await runCode("console.log('before');\nconst a = 1;\nnull.prop;");
    const step = result.history[0]!;
    expect(step.status).toBe("failed");
    expect(step.errorType).toBe("TypeError");
    expect(step.error).toBe("Cannot read properties of null (reading 'prop')");
    expect(step.traceback).toMatch(/<n>:3:\d+/);
    expect(step.stdout).toBe("before\n");
    expect(result.error).toBe("n: TypeError: Cannot read properties of null (reading 'prop')");
  });

  it("reports a syntax error with its line", async () => {
    const result = await runCode("const ok = 1;\nconst = 2;");
    expect(result.history[0]!.errorType).toBe("SyntaxError");
    expect(result.history[0]!.traceback).toMatch(/<n>:2/);
  });

  it("llm.ask with no LLM configured fails naming what to configure", async () => {
    const result = await runCode("llm.ask('hi')");
    expect(result.error).toMatch(/^n: LlmNotConfiguredError: No LLM configured: set default_models\.llm/);
  });

  it("nothing a node defines on globalThis leaks into the next node on the same worker", async () => {
    const wf = workflow("a", [js("a", "globalThis.leak = 42; outputs.set = true"), js("b", "outputs.leak = typeof globalThis.leak")], [{ from: "a", to: "b" }]);
    const result = await runtime.run(wf);
    expect(result.outputs).toEqual({ leak: "undefined" });
  });

  it("rejects non-object outputs", async () => {
    const result = await runCode("outputs = [1, 2]");
    expect(result.error).toBe("n: TypeError: `outputs` must be an object");
  });
});

describe("javascript worker pool", () => {
  it("enforces the memory limit: a node that allocates without bound fails and the pool recovers", async () => {
    const pool = new JsWorkerPool({ maxWorkers: 1, memoryLimitMb: 32 });
    const hostCalls = () => Promise.reject(new Error("unused"));
    const signal = new AbortController().signal;
    try {
      await expect(pool.run({ nodeId: "hog", code: "const a = []; while (true) a.push(new Array(10000).fill('x'));", inputs: {}, signal, hostCalls })).rejects.toMatchObject({
        name: "WorkerCrashError",
        message: "JavaScript node ran out of memory (limit 32 MB)",
      });
      const after = await pool.run({ nodeId: "ok", code: "outputs.fine = true", inputs: {}, signal, hostCalls });
      expect(after.outputs).toEqual({ fine: true });
    } finally {
      await pool.close();
    }
  });

  it("a job waiting for a worker rejects with the abort reason, and close() rejects queued jobs", async () => {
    const pool = new JsWorkerPool({ maxWorkers: 1 });
    const hostCalls = () => Promise.reject(new Error("unused"));
    const busy = new AbortController();
    const running = pool.run({ nodeId: "busy", code: "while (true) {}", inputs: {}, signal: busy.signal, hostCalls });
    const waiting = new AbortController();
    const queued = pool.run({ nodeId: "q", code: "outputs.x = 1", inputs: {}, signal: waiting.signal, hostCalls });
    const reason = new RunCancelledError("r1");
    waiting.abort(reason);
    await expect(queued).rejects.toBe(reason);
    const closedQueued = pool.run({ nodeId: "q2", code: "outputs.x = 1", inputs: {}, signal: new AbortController().signal, hostCalls });
    busy.abort(new RunCancelledError("r2"));
    await expect(running).rejects.toMatchObject({ name: "RunCancelledError" });
    await expect(closedQueued).resolves.toEqual({ outputs: { x: 1 }, stdout: "" });
    expect(pool.size).toBe(1);
    await pool.close();
    expect(pool.size).toBe(0);
  });
});

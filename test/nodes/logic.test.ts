/**
 * `logic` nodes through the real engine, against the mock LLM over loopback (issue 3 item 7):
 * where the code comes from (own code, a block in the description, the LLM), the codegen prompt,
 * syntax repair rounds, the code cache (memory and disk), cancellation, and Python logic nodes
 * failing before any LLM call while the Python runtime is missing.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createRuntime, RunCancelledError, type Runtime } from "../../src/index.js";
import type { MockRule } from "../../src/mock-llm/index.js";
import { logicCacheKey } from "../../src/nodes/logic-code-cache.js";
import { codeFromReply, embeddedCode } from "../../src/nodes/logic-fenced-code.js";
import { JS_WRAPPER_PARAMS, checkSyntax } from "../../src/nodes/logic-syntax-check.js";
import type { ToolEntry } from "../../src/tools/tool-registry.js";
import { untilRequests, useMockLlm } from "../support/llm.js";
import { edge, js, workflow, type RawNode } from "../support/workflows.js";

const tempDirs: string[] = [];
const t = useMockLlm({
  afterEachTest: () => {
    for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  },
});

function tempDir(prefix = "ff-logic-"): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

function newRuntime(dataDir = tempDir(), tools?: Record<string, ToolEntry>): Runtime {
  const runtime = createRuntime({
    config: {
      provider: { local: { type: "openai-compatible", options: { baseURL: t.mock.url } } },
      default_models: { llm: { provider_id: "local", model_id: "mock-model" } },
    },
    dataDir,
    env: {},
    ...(tools ? { tools } : {}),
  });
  return t.track(runtime);
}

const jsBlock = (code: string): string => "```javascript\n" + code + "\n```";
const reply = (promptIncludes: string, text: string): MockRule => ({ match: { promptIncludes }, behavior: { reply: text } });
const logic = (id: string, description: string, extra: Record<string, unknown> = {}): RawNode => ({ id, type: "logic", description, language: "javascript", ...extra });

/** The user message of each chat request the mock saw, in order. */
function prompts(): string[] {
  return t.mock.requests().map((r) => {
    const messages = (r.body as { messages: Array<{ role: string; content: string }> }).messages;
    return messages.filter((m) => m.role === "user").at(-1)!.content;
  });
}

describe("logic nodes: where the code comes from", () => {
  it("runs the node's own code and routes by its label", async () => {
    const runtime = newRuntime();
    const wf = workflow(
      "route",
      [logic("route", "Route by size.", { code: "outputs.result = inputs.n > 1 ? 'big' : 'small'; outputs.seen = inputs.n" }), js("big", "outputs.path = 'big'"), js("small", "outputs.path = 'small'")],
      [edge("route", "big", { label: "big" }), edge("route", "small", { label: "small" })],
    );
    const big = await runtime.run(wf, { inputs: { n: 5 } });
    const small = await runtime.run(wf, { inputs: { n: 0 } });
    expect([big.status, big.lastNodeId, big.outputs.path, big.history[0]!.outputs]).toEqual(["succeeded", "big", "big", { result: "big", seen: 5 }]);
    expect([small.status, small.lastNodeId, small.outputs.path]).toEqual(["succeeded", "small", "small"]);
    expect(t.mock.stats().requests).toBe(0);
  });

  it("takes a fenced block embedded in the description (tagged or untagged) without asking the LLM", async () => {
    const runtime = newRuntime();
    const tagged = workflow("d", [logic("d", "Double n.\n\n```js\noutputs.doubled = inputs.n * 2\n```\n")]);
    const untagged = workflow("d", [logic("d", "Triple n.\n```\noutputs.tripled = inputs.n * 3\n```")]);
    expect((await runtime.run(tagged, { inputs: { n: 3 } })).outputs).toEqual({ doubled: 6 });
    expect((await runtime.run(untagged, { inputs: { n: 3 } })).outputs).toEqual({ tripled: 9 });
    expect(t.mock.stats().requests).toBe(0);
  });

  it("asks the LLM for code when there is none, runs it, and routes by the label it sets", async () => {
    t.mock.setRules([reply("MARK-gen", jsBlock("outputs.total = inputs.items.reduce((a, b) => a + b, 0);\noutputs.result = outputs.total > 5 ? 'high' : 'low';"))]);
    const runtime = newRuntime();
    const wf = workflow(
      "sum",
      [logic("sum", "MARK-gen: add up the items and say whether the total is high."), js("high", "outputs.level = 'high:' + inputs.total"), js("low", "outputs.level = 'low'")],
      [edge("sum", "high", { label: "high" }), edge("sum", "low", { label: "low" })],
    );
    const result = await runtime.run(wf, { inputs: { items: [1, 2, 3] } });
    expect(result.status).toBe("succeeded");
    expect(result.history.map((s) => s.nodeId)).toEqual(["sum", "high"]);
    expect(result.outputs).toEqual({ level: "high:6" });
    expect(t.mock.stats().requests).toBe(1);
    const [prompt] = prompts();
    expect(prompt).toContain("MARK-gen: add up the items");
    expect(prompt).toContain("body of an async function in strict mode");
    expect(prompt).toContain('Set outputs["result"] to the label of the path to take, one of: "high", "low"');
    expect(prompt).toContain("Reply with ONE fenced ```javascript code block");
  });

  it("asks with the node's model when it names one", async () => {
    t.mock.setRules([reply("MARK-model", jsBlock("outputs.ok = true"))]);
    const result = await newRuntime().run(workflow("m", [logic("m", "MARK-model", { model: "mock-model-2" })]));
    expect(result.outputs).toEqual({ ok: true });
    expect(t.mock.requests().map((r) => r.model)).toEqual(["mock-model-2"]);
  });
});

describe("logic nodes: the codegen prompt", () => {
  const tools = (): Record<string, ToolEntry> => ({
    lookup_ip: {
      description: "Look up the owner of an IP address",
      parameters: { type: "object", properties: { ip: { type: "string" } }, required: ["ip"] },
      run: (args) => ({ owner: `owner of ${String(args.ip)}` }),
    },
    send_mail: { description: "Send an e-mail", run: () => "sent" },
  });

  it("lists only the tools the description names, with description and JSON-schema parameters, and the code can call them", async () => {
    t.mock.setRules([reply("MARK-tools", jsBlock("outputs.owner = tool.run('lookup_ip', { ip: inputs.ip }).owner"))]);
    const runtime = newRuntime(tempDir(), tools());
    const result = await runtime.run(workflow("t", [logic("t", "MARK-tools: find who owns the IP.\nTool: lookup_ip")]), { inputs: { ip: "10.0.0.1" } });
    expect(result.outputs).toEqual({ owner: "owner of 10.0.0.1" });
    const [prompt] = prompts();
    expect(prompt).toContain("- lookup_ip: Look up the owner of an IP address");
    expect(prompt).toContain('parameters (JSON Schema): {"type":"object","properties":{"ip":{"type":"string"}},"required":["ip"]}');
    expect(prompt).not.toContain("send_mail");
  });

  it("lists every registered tool when the description names none", async () => {
    t.mock.setRules([reply("MARK-all-tools", jsBlock("outputs.ok = 1"))]);
    await newRuntime(tempDir(), tools()).run(workflow("t", [logic("t", "MARK-all-tools")]));
    const [prompt] = prompts();
    expect(prompt).toContain("- lookup_ip: Look up the owner of an IP address");
    expect(prompt).toContain("- send_mail: Send an e-mail");
  });

  it("includes the workflow.md next to the workflow file", async () => {
    const folder = tempDir("ff-logic-wf-");
    writeFileSync(path.join(folder, "workflow.json"), JSON.stringify({ start: "n", nodes: [{ id: "n", type: "logic", language: "javascript", description: "MARK-md: classify" }], edges: [] }));
    writeFileSync(path.join(folder, "workflow.md"), "# Triage\nAlerts with severity >= 7 are critical.\n");
    t.mock.setRules([reply("MARK-md", jsBlock("outputs.result = 'ok'"))]);
    const result = await newRuntime().run(folder);
    expect(result.status).toBe("succeeded");
    const [prompt] = prompts();
    expect(prompt).toContain("Notes about the whole workflow (workflow.md):\n# Triage\nAlerts with severity >= 7 are critical.");
  });
});

describe("logic nodes: the code cache", () => {
  const loopWorkflow = (description: string) =>
    workflow(
      "init",
      [js("init", "outputs.count = 0"), logic("step", description), js("end", "outputs.final = inputs.count")],
      [edge("init", "step"), edge("step", "step", { label: "again" }), edge("step", "end", { label: "done" })],
    );
  const loopCode = jsBlock("outputs.count = inputs.count + 1;\noutputs.result = outputs.count >= 5 ? 'done' : 'again';");

  it("a loop of 5 turns asks once; a second runtime on the same data folder asks none; a new description asks again", async () => {
    t.mock.setRules([reply("MARK-loop", loopCode)]);
    const dataDir = tempDir();
    const first = await newRuntime(dataDir).run(loopWorkflow("MARK-loop: count one up"));
    expect(first.status).toBe("succeeded");
    expect(first.history.filter((s) => s.nodeId === "step")).toHaveLength(5);
    expect(first.outputs).toEqual({ final: 5 });
    expect(t.mock.stats().requests).toBe(1);

    const file = path.join(dataDir, "logic-cache", `${logicCacheKey({ description: "MARK-loop: count one up", language: "javascript", model: undefined })}.json`);
    const stored = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    expect(stored).toMatchObject({ language: "javascript", model: null, description: "MARK-loop: count one up", code: codeFromReply(loopCode, "javascript") });
    expect(Number.isNaN(Date.parse(String(stored.createdAt)))).toBe(false);
    expect(readdirSync(path.join(dataDir, "logic-cache"))).toEqual([path.basename(file)]);

    t.mock.reset();
    const second = await newRuntime(dataDir).run(loopWorkflow("MARK-loop: count one up"));
    expect([second.status, second.outputs]).toEqual(["succeeded", { final: 5 }]);
    expect(t.mock.stats().requests).toBe(0);

    const changed = await newRuntime(dataDir).run(loopWorkflow("MARK-loop: count one up, changed"));
    expect(changed.outputs).toEqual({ final: 5 });
    expect(t.mock.stats().requests).toBe(1);
  });

  it("parallel executions of one logic node with a cold cache share one generation", async () => {
    t.mock.setRules([{ match: { promptIncludes: "MARK-fanout" }, behavior: { reply: jsBlock("outputs.seen = inputs.tag"), firstByteDelayMs: 100 } }]);
    const wf = workflow(
      "root",
      [js("root", "outputs.r = 1"), js("a", "outputs.tag = 'a'"), js("b", "outputs.tag = 'b'"), logic("l", "MARK-fanout")],
      [edge("root", "a"), edge("root", "b", { order: 1 }), edge("a", "l"), edge("b", "l")],
    );
    const result = await newRuntime().run(wf, { maxParallel: 4 });
    expect(result.status).toBe("succeeded");
    expect(result.history.filter((s) => s.nodeId === "l").map((s) => (s.outputs as Record<string, unknown>).seen)).toEqual(["a", "b"]);
    expect(t.mock.stats().requests).toBe(1);
  });

  it("ignores a corrupt cache file, regenerates the code and rewrites the file", async () => {
    t.mock.setRules([reply("MARK-corrupt", jsBlock("outputs.v = 42"))]);
    const dataDir = tempDir();
    await newRuntime(dataDir).run(workflow("c", [logic("c", "MARK-corrupt")]));
    const file = path.join(dataDir, "logic-cache", `${logicCacheKey({ description: "MARK-corrupt", language: "javascript", model: undefined })}.json`);
    writeFileSync(file, "{ not json");
    t.mock.reset();
    const result = await newRuntime(dataDir).run(workflow("c", [logic("c", "MARK-corrupt")]));
    expect(result.outputs).toEqual({ v: 42 });
    expect(t.mock.stats().requests).toBe(1);
    expect((JSON.parse(readFileSync(file, "utf8")) as { code: string }).code).toBe("outputs.v = 42");
  });
});

describe("logic nodes: syntax check and repair rounds", () => {
  it("sends a reply with a syntax error back with its error and runs the corrected code", async () => {
    t.mock.setRules([reply("failed the syntax check", jsBlock("outputs.fixed = true")), reply("MARK-repair", jsBlock("outputs.fixed = ;"))]);
    const result = await newRuntime().run(workflow("gen", [logic("gen", "MARK-repair")]));
    expect(result.status).toBe("succeeded");
    expect(result.outputs).toEqual({ fixed: true });
    expect(t.mock.stats().requests).toBe(2);
    const repair = prompts()[1]!;
    expect(repair).toContain("Your previous answer failed the syntax check with: SyntaxError: Unexpected token ';' (line 1)");
    expect(repair).toContain("```javascript\noutputs.fixed = ;\n```");
  });

  it("fails with CodeGenerationError after two repair rounds (3 requests), naming the node and the syntax error", async () => {
    t.mock.setRules([reply("MARK-bad", jsBlock("const a = 1;\nlet = = 2;"))]);
    const dataDir = tempDir();
    const result = await newRuntime(dataDir).run(workflow("gen", [logic("gen", "MARK-bad")]));
    expect(result.status).toBe("failed");
    expect(t.mock.stats().requests).toBe(3);
    const step = result.history[0]!;
    expect([step.status, step.errorType]).toEqual(["failed", "CodeGenerationError"]);
    expect(step.error).toBe(
      "node 'gen': code generation failed: the generated javascript code still has a syntax error after 2 repair rounds: SyntaxError: Unexpected strict mode reserved word (line 2)",
    );
    expect(result.error).toBe(`gen: CodeGenerationError: ${step.error}`);
    expect(existsSync(path.join(dataDir, "logic-cache"))).toBe(false);
  });
});

describe("logic nodes: cancellation and python", () => {
  it("a cancel while the LLM writes the code ends the run cancelled within 200 ms and caches nothing", async () => {
    t.mock.setRules([{ match: { promptIncludes: "MARK-stall" }, behavior: { stallAfterHeaders: true } }]);
    const dataDir = tempDir();
    const controller = new AbortController();
    const running = newRuntime(dataDir).run(workflow("gen", [logic("gen", "MARK-stall")]), { signal: controller.signal });
    await untilRequests(t.mock, 1);
    await new Promise((r) => setTimeout(r, 50));
    const cancelAt = performance.now();
    controller.abort();
    const result = await running;
    expect(performance.now() - cancelAt).toBeLessThan(200);
    expect(result.status).toBe("cancelled");
    expect(result.history.map((s) => [s.nodeId, s.status, s.errorType])).toEqual([["gen", "cancelled", "RunCancelledError"]]);
    expect(result.error).toMatch(/^RunCancelledError: /);
    expect(t.mock.stats().requests).toBe(1);
    expect(existsSync(path.join(dataDir, "logic-cache"))).toBe(false);
  });

  it("the node's own deadline during codegen is a timed-out step with the TimeoutError, not a codegen failure", async () => {
    t.mock.setRules([{ match: { promptIncludes: "MARK-slow" }, behavior: { stallAfterHeaders: true } }]);
    const result = await newRuntime().run(workflow("gen", [logic("gen", "MARK-slow", { timeout_s: 0.2 })]));
    expect(result.history.map((s) => [s.status, s.errorType, s.error])).toEqual([["timed_out", "TimeoutError", "Node 'gen' timed out after 0.2s"]]);
    expect(t.mock.stats().requests).toBe(1);
  });

  it("python logic nodes run their own code, or generated Python, in the Python workers and route by label", async () => {
    t.mock.setRules([reply("MARK-py", "```python\noutputs['x'] = inputs['n'] * 2\noutputs['result'] = 'big' if outputs['x'] > 5 else 'small'\n```")]);
    const runtime = newRuntime();
    const routed = (node: RawNode) =>
      workflow("py", [node, { id: "big", type: "javascript", code: "outputs.path = 'big'" }, { id: "small", type: "javascript", code: "outputs.path = 'small'" }], [
        { from: "py", to: "big", label: "big" },
        { from: "py", to: "small", label: "small" },
      ]);
    const generated = await runtime.run(routed({ id: "py", type: "logic", description: "MARK-py: double n" }), { inputs: { n: 4 } });
    const ownCode = await runtime.run(routed({ id: "py", type: "logic", description: "d", language: "python", code: "outputs['x'] = inputs['n']\noutputs['result'] = 'small'" }), { inputs: { n: 4 } });
    expect(generated.history.map((s) => [s.nodeId, s.status])).toEqual([["py", "succeeded"], ["big", "succeeded"]]);
    expect(generated.history[0]!.outputs).toEqual({ x: 8, result: "big" });
    expect(ownCode.outputs).toEqual({ path: "small" });
    expect(t.mock.stats().requests).toBe(1);
  });
});

describe("logic code normalisation and syntax checks", () => {
  it("takes the reply's block in the language, else strips stray fences; python gets `import json` when it uses json", () => {
    expect(codeFromReply("Here you go:\n```python\nx = 1\n```\n```javascript\noutputs.a = 1\n```\nDone.", "javascript")).toBe("outputs.a = 1");
    expect(codeFromReply("```js\noutputs.a = 1", "javascript")).toBe("outputs.a = 1");
    expect(codeFromReply("outputs.a = 1\n```", "javascript")).toBe("outputs.a = 1");
    expect(codeFromReply("```py\noutputs['a'] = json.loads(inputs['s'])\n```", "python")).toBe("import json\noutputs['a'] = json.loads(inputs['s'])");
    expect(embeddedCode("Use this:\n```python\nx = 1\n```", "javascript")).toBeUndefined();
    expect(embeddedCode("Use this:\n```python\nx = 1\n```", "python")).toBe("x = 1");
  });

  it("compiles JavaScript inside the same wrapper as the code worker", () => {
    const worker = readFileSync(path.resolve(import.meta.dirname, "../../src/sandbox/js/code-worker.js"), "utf8");
    expect(worker).toContain(`const PARAMS = "${JS_WRAPPER_PARAMS}";`);
    expect(worker).toContain('`(async function (${PARAMS}) {"use strict"; try {\\n${code}\\n} finally { __ff_result.outputs = outputs; } })`');
  });

  const hasPython = spawnSync("python3", ["--version"]).status === 0;

  it.skipIf(!hasPython)("checks Python syntax with python3 without running the code, and stops the check on abort", async () => {
    const signal = new AbortController().signal;
    expect(await checkSyntax("python", "import os\nos._exit(3)\noutputs['a'] = 1", signal)).toBeUndefined();
    expect(await checkSyntax("python", "x = 1\nif x\n    y = 2", signal)).toMatch(/^SyntaxError: .+ \(line 2\)$/);
    const controller = new AbortController();
    const reason = new RunCancelledError("r");
    const pending = checkSyntax("python", "x = 1", controller.signal);
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });
});

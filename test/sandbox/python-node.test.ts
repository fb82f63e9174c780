/**
 * `python` code nodes through the real engine (issue 4; SPEC §4): what user code sees (fresh
 * globals, `outputs`, `exit()`, per-node `print`, `get_path`, `cancelled()`, the `flocks` shim),
 * errors worded as Flocks words them (reference flocks-engine.md §4.1), the scrubbed environment,
 * `tool.run` / `tool.run_safe` over the bridge, and `llm.ask` from eight threads against the mock
 * LLM on loopback, with the run's LLM concurrency budget as the mock counts it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createRuntime, RunCancelledError, type Runtime } from "../../src/index.js";
import { startMockLlmServer, type MockLlmServer } from "../../src/mock-llm/index.js";
import { PythonPool } from "../../src/sandbox/python/python-pool.js";
import { testTools, type ToolLog } from "../support/tools.js";
import { edge, workflow } from "../support/workflows.js";
import { hasPython, lines, py } from "../fixtures/python/python-support.js";

const tempDirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "ff-py-node-"));
  tempDirs.push(dir);
  return dir;
}

const log: ToolLog = { started: [], finished: [], aborted: [] };
const envelopeTools = {
  lines: () => "line1\nline2",
  search: () => ({ results: [{ id: 1 }], count: 1, note: "é" }),
  empty: () => undefined,
  numbers: () => [1, 2, 3],
  // A tool that fails by throwing something that is not an Error.
  refuses: () => {
    throw "service unavailable";
  },
};

let mock: MockLlmServer;
let runtime: Runtime;
/** One worker, so consecutive nodes share a process. */
let single: Runtime;
let workspaceDir: string;
let dataDir: string;

beforeAll(async () => {
  if (!hasPython) return;
  mock = await startMockLlmServer();
  const dir = tempDir();
  workspaceDir = path.join(dir, "workspace", "nested");
  dataDir = path.join(dir, "data");
  const llmConfig = {
    provider: { local: { type: "openai-compatible", options: { baseURL: mock.url, stream: true, max_connections: 64 } } },
    default_models: { llm: { provider_id: "local", model_id: "mock-model" } },
  };
  runtime = createRuntime({ config: { ...llmConfig, python: { max_workers: 4 } }, tools: { ...testTools(log), ...envelopeTools }, workspaceDir, dataDir });
  single = createRuntime({ config: { python: { max_workers: 1 } }, workspaceDir: path.join(dir, "ws1"), dataDir: path.join(dir, "data1") });
});
afterEach(() => {
  if (!hasPython) return;
  mock.setRules([]);
  mock.reset();
});
afterAll(async () => {
  if (hasPython) await Promise.all([runtime.close(), single.close(), mock.close()]);
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const runCode = (code: string, inputs: Record<string, unknown> = {}, on: Runtime = runtime) => on.run(workflow("n", [py("n", code)]), { inputs, historyMode: "full" });

describe.skipIf(!hasPython)("llm.ask from several threads of one node", () => {
  const eightThreads = lines(
    "from concurrent.futures import ThreadPoolExecutor",
    "prompts = ['question %d' % i for i in range(8)]",
    "with ThreadPoolExecutor(8) as pool:",
    "    outputs['answers'] = list(pool.map(llm.ask, prompts))",
  );
  const expected = Array.from({ length: 8 }, (_, i) => `mock reply from mock-model: question ${i}`);

  it("acceptance: eight threads get eight correct answers; with metadata.llm.concurrency 2 the mock never sees more than 2 in flight", async () => {
    mock.setRules([{ behavior: { chunkCount: 4, chunkDelayMs: 40 } }]);
    const t0 = performance.now();
    const result = await runtime.run(workflow("fan", [py("fan", eightThreads)], [], { llm: { concurrency: 2 } }));
    const elapsedMs = performance.now() - t0;
    console.info(`8 llm.ask threads with a budget of 2: ${elapsedMs.toFixed(0)} ms, mock peak in flight ${mock.stats().peakInFlight}`);
    expect(result.status).toBe("succeeded");
    expect(result.outputs).toEqual({ answers: expected });
    expect(mock.stats().requests).toBe(8);
    expect(mock.stats().peakInFlight).toBe(2);
    expect(mock.stats().clientAborts).toEqual([]);
    // Four waves of two calls, each at least three 40 ms chunk gaps long.
    expect(elapsedMs).toBeGreaterThanOrEqual(4 * 3 * 40 - 20);
  });

  it("with the default budget (8) all eight calls are in flight at once", async () => {
    mock.setRules([{ behavior: { chunkCount: 4, chunkDelayMs: 60 } }]);
    const result = await runtime.run(workflow("fan", [py("fan", eightThreads)]));
    expect(result.outputs).toEqual({ answers: expected });
    expect(mock.stats().requests).toBe(8);
    expect(mock.stats().peakInFlight).toBe(8);
  });

  it("a node deadline during a stalled llm.ask kills the node and the mock sees the request closed", async () => {
    mock.setRules([{ behavior: { stallAfterHeaders: true } }]);
    const result = await runtime.run(workflow("n", [py("n", "outputs['a'] = llm.ask('stall here')", { timeout_s: 0.5 })]));
    expect(result.history.map((s) => [s.status, s.error])).toEqual([["timed_out", "Node 'n' timed out after 0.5s"]]);
    expect(result.history[0]!.durationMs).toBeLessThan(1_000);
    const end = performance.now() + 1_000;
    while (mock.stats().clientAborts.length === 0 && performance.now() < end) await new Promise((r) => setTimeout(r, 5));
    expect(mock.stats().clientAborts).toHaveLength(1);
    expect(mock.stats().requests).toBe(1);
  });

  it("a node that ends while one of its threads waits in llm.ask: the host call is aborted and the mock sees the request closed", async () => {
    mock.setRules([{ behavior: { stallAfterHeaders: true } }]);
    const code = lines(
      "import threading, time",
      "threading.Thread(target=lambda: llm.ask('stall here'), daemon=True).start()",
      "time.sleep(0.3)",
      "outputs['left'] = True",
    );
    const result = await runtime.run(workflow("n", [py("n", code, { timeout_s: 5 })]));
    expect(result.outputs).toEqual({ left: true });
    expect(mock.stats().requests).toBe(1);
    const end = performance.now() + 1_000;
    while (mock.stats().clientAborts.length === 0 && performance.now() < end) await new Promise((r) => setTimeout(r, 5));
    expect(mock.stats().clientAborts).toHaveLength(1);
    expect(mock.stats().inFlight).toBe(0);
  });
});

describe.skipIf(!hasPython)("errors, worded as Flocks reports them", () => {
  it("a syntax error names its line: `Syntax error in code at line 4: ...`", async () => {
    const result = await runCode(lines("x = 1", "y = 2", "", "if x > y", "    z = 3"));
    const step = result.history[0]!;
    expect(step.status).toBe("failed");
    expect(step.errorType).toBe("SyntaxError");
    expect(step.error).toMatch(/^Syntax error in code at line 4: (expected ':'|invalid syntax)$/);
    expect(result.error).toBe(`n: SyntaxError: ${step.error}`);
    expect(step.traceback).toMatch(/^ {2}line 4\n {4}if x > y\nSyntaxError: /);
    expect(step.stdout).toBe("");
  });

  it("inputs['missing'] → `Missing required input key: 'missing'`, with the stdout so far", async () => {
    const result = await runCode(lines("print('reading')", "value = inputs['missing']"), { present: 1 });
    const step = result.history[0]!;
    expect([step.status, step.errorType, step.error]).toEqual(["failed", "KeyError", "Missing required input key: 'missing'"]);
    expect(step.traceback).toBe("Traceback (most recent call last):\n  line 2\nKeyError: 'missing'");
    expect(step.stdout).toBe("reading\n");
    expect(result.error).toBe("n: KeyError: Missing required input key: 'missing'");
  });

  it("NameError → `Undefined variable or function: ...`; the traceback lists the node's lines, innermost last", async () => {
    const result = await runCode(lines("def helper():", "    return undefined_thing", "print('calling')", "helper()"));
    const step = result.history[0]!;
    expect(step.errorType).toBe("NameError");
    expect(step.error).toBe("Undefined variable or function: name 'undefined_thing' is not defined");
    expect(step.traceback).toBe("Traceback (most recent call last):\n  line 4\n  line 2, in helper\nNameError: name 'undefined_thing' is not defined");
    expect(step.stdout).toBe("calling\n");
  });

  it("TypeError → `Type error during execution: ...`", async () => {
    const result = await runCode("len(5)");
    expect(result.history[0]!.errorType).toBe("TypeError");
    expect(result.error).toBe("n: TypeError: Type error during execution: object of type 'int' has no len()");
  });

  it("raise ValueError('x') → `Runtime error (ValueError): x`", async () => {
    const result = await runCode(lines("print('one')", "print('two')", "raise ValueError('x')"));
    const step = result.history[0]!;
    expect([step.status, step.errorType, step.error, step.stdout]).toEqual(["failed", "ValueError", "Runtime error (ValueError): x", "one\ntwo\n"]);
    expect(step.traceback).toBe("Traceback (most recent call last):\n  line 3\nValueError: x");
    expect(result.error).toBe("n: ValueError: Runtime error (ValueError): x");
    expect(result.status).toBe("failed");
    expect(result.outputs).toEqual({});
  });

  it("AttributeError keeps Flocks' type-name prefix", async () => {
    const result = await runCode("x = None\nx.foo");
    expect(result.error).toBe("n: AttributeError: AttributeError: 'NoneType' object has no attribute 'foo'");
  });

  it("the traceback holds only the node's frames, with node-relative lines, never the runner's or the standard library's", async () => {
    const result = await runCode(lines("import json", "", "def parse(text):", "    return json.loads(text)", "print('parsing')", "parse('{')"));
    const step = result.history[0]!;
    const decodeMessage = "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)";
    expect(step.errorType).toBe("JSONDecodeError");
    expect(step.error).toBe(`Runtime error (JSONDecodeError): ${decodeMessage}`);
    expect(step.traceback).toBe(`Traceback (most recent call last):\n  line 6\n  line 4, in parse\nJSONDecodeError: ${decodeMessage}`);
    expect(step.traceback).not.toMatch(/runner\.py|json[\\/]|File "/);
    expect(step.stdout).toBe("parsing\n");
  });

  it("an uncaught tool failure keeps the host's type and message: `n: ToolError: Tool 'fail' failed: Error: boom`", async () => {
    const result = await runCode(lines("print('before')", "tool.run('fail', message='boom')"));
    const step = result.history[0]!;
    expect([step.errorType, step.error, step.stdout]).toEqual(["ToolError", "Tool 'fail' failed: Error: boom", "before\n"]);
    expect(step.traceback).toBe("Traceback (most recent call last):\n  line 2\nToolError: Tool 'fail' failed: Error: boom");
    expect(result.error).toBe("n: ToolError: Tool 'fail' failed: Error: boom");
  });

  // BUG (src/sandbox/python/runner.py _run_job, `raise TypeError("`outputs` must be a dict")`): the
  // check raises inside the try, so _describe wraps it as "Type error during execution: `outputs`
  // must be a dict". Flocks (reference §4.1) reports "`outputs` must be a dict". Fix: build the
  // failure frame directly, e.g. {"type": "TypeError", "message": "`outputs` must be a dict", ...}.
  it("outputs reassigned to a non-dict fails with Flocks' message `outputs` must be a dict", async () => {
    const result = await runCode("outputs = [1, 2]");
    expect(result.error).toBe("n: TypeError: `outputs` must be a dict");
  });

  // BUG (src/sandbox/python/runner.py _send, `json.dumps(frame, ensure_ascii=False, default=str)`):
  // NaN / Infinity are written as the bare tokens NaN / Infinity, which the host's JSON.parse
  // rejects; python-worker.ts #onLine drops lines it cannot parse, so the `done` frame is lost and
  // the node hangs until its deadline (default 300 s). The same loses a tool.run / llm.ask call
  // whose arguments hold such a float. Fix: `json.dumps(..., allow_nan=False)` and report the
  // ValueError (as the node's error, or to the caller of the host call), or map non-finite floats
  // to null as JSON.stringify does; and fail the active job on an unparsable protocol line instead
  // of ignoring it.
  it("a NaN in outputs or in a tool call's arguments does not hang the node until its deadline", async () => {
    for (const code of ["outputs['x'] = float('nan')", "outputs['x'] = tool.run('echo', v=float('inf'))"]) {
      const result = await runtime.run(workflow("n", [py("n", code)]), { nodeTimeoutS: 2 });
      const step = result.history[0]!;
      expect(step.status).not.toBe("timed_out");
      expect(step.durationMs).toBeLessThan(1_000);
    }
  });

  // BUG (src/sandbox/python/runner.py: `_protocol = os.fdopen(3, "w", encoding="utf-8", buffering=1)`):
  // a lone surrogate in the captured stdout (text decoded with errors='surrogateescape', common for
  // subprocess output and file names) cannot be encoded, so writing the `done` frame raises, and
  // so does the `failed` frame that carries the same stdout; the exception escapes _run_job and the
  // worker dies (SIGABRT): the node fails with a WorkerCrashError that shows the runner's own
  // traceback, and its stdout is lost. Fix: open fd 3 with errors="backslashreplace" (or write
  // with ensure_ascii=True), and guard the `failed` send so a job can never kill the worker.
  it("printing a lone surrogate (bytes decoded with surrogateescape) does not crash the worker", async () => {
    const result = await runCode(lines("print('before')", "print(b'caf\\xe9'.decode('utf-8', 'surrogateescape'))", "outputs['ok'] = True"));
    const step = result.history[0]!;
    expect(step.errorType).toBeNull();
    expect(step.status).toBe("succeeded");
    expect(step.stdout).toMatch(/^before\ncaf.+\n$/);
    expect(result.outputs).toEqual({ ok: true });
  });
});

describe.skipIf(!hasPython)("the worker's environment holds no secrets", () => {
  it("a node dumping os.environ and /proc/self/environ sees no provider key, configured secret or API token", async () => {
    const dir = tempDir();
    const secretsFile = path.join(dir, "secrets.json");
    writeFileSync(secretsFile, JSON.stringify({ gw_key: "gw-secret-6b8e21" }));
    const configFile = path.join(dir, "flockflow.json");
    writeFileSync(
      configFile,
      JSON.stringify({
        provider: {
          local: { type: "openai-compatible", options: { baseURL: mock.url, apiKey: "prov-key-7f3a90" } },
          gw: { type: "openai-compatible", options: { baseURL: mock.url, apiKey: "{secret:gw_key}" } },
        },
        default_models: { llm: { provider_id: "local", model_id: "mock-model" } },
        python: { max_workers: 1 },
      }),
    );
    const secrets = { OPENAI_API_KEY: "sk-secret-9d1c44", FLOCKFLOW_API_TOKEN: "tok-5e2b77", MY_SECRET: "my-secret-0a4f13", ANTHROPIC_API_KEY: "sk-ant-3c3c3c" };
    // The config's {secret:...} references are resolved from FLOCKFLOW_SECRETS when it is read.
    const saved = process.env.FLOCKFLOW_SECRETS;
    process.env.FLOCKFLOW_SECRETS = secretsFile;
    let isolated: Runtime;
    try {
      isolated = createRuntime({ config: configFile, env: { ...process.env, ...secrets }, workspaceDir: path.join(dir, "ws"), dataDir: path.join(dir, "data") });
    } finally {
      if (saved === undefined) delete process.env.FLOCKFLOW_SECRETS;
      else process.env.FLOCKFLOW_SECRETS = saved;
    }
    try {
      const code = lines(
        "import os",
        "outputs['env'] = dict(os.environ)",
        "outputs['proc'] = open('/proc/self/environ', 'rb').read().decode('utf-8', 'replace')",
        "outputs['answer'] = llm.ask('still works')",
      );
      const result = await isolated.run(workflow("dump", [py("dump", code)]), { historyMode: "full" });
      expect(result.status).toBe("succeeded");
      const outputs = result.outputs as { env: Record<string, string>; proc: string; answer: string };
      // The dump is real: the allowlisted variables are there.
      expect(outputs.env.HOME).toBe(process.env.HOME);
      expect(outputs.env.PATH!.endsWith(process.env.PATH!)).toBe(true);
      expect(outputs.proc).toMatch(/(^|\0)PATH=/);
      expect(outputs.proc).toContain(process.env.PATH);
      expect(outputs.answer).toBe("mock reply from mock-model: still works");
      for (const name of Object.keys(secrets)) expect(outputs.env).not.toHaveProperty(name);
      const everything = JSON.stringify(result);
      for (const value of [...Object.values(secrets), "prov-key-7f3a90", "gw-secret-6b8e21"]) expect(everything).not.toContain(value);
    } finally {
      await isolated.close();
    }
  });
});

describe.skipIf(!hasPython)("what user code sees", () => {
  it("each node runs with fresh globals: a variable, function, class or import alias of node A is undefined in node B on the same worker", async () => {
    const a = py("a", lines("import os", "import json as jj", "counter = 1", "def helper():", "    return 1", "class Thing:", "    pass", "outputs['pid'] = os.getpid()"));
    const b = py(
      "b",
      lines(
        "import os",
        "outputs['pid'] = os.getpid()",
        "outputs['leaked'] = [n for n in ('jj', 'counter', 'helper', 'Thing', 'pid') if n in globals()]",
        "try:",
        "    helper()",
        "except NameError as e:",
        "    outputs['error'] = str(e)",
      ),
    );
    const result = await single.run(workflow("a", [a, b], [edge("a", "b")]), { historyMode: "full" });
    const pids = result.history.map((s) => (s.outputs as { pid: number }).pid);
    expect(pids[0]).toBe(pids[1]);
    expect(result.outputs).toEqual({ pid: pids[0], leaked: [], error: "name 'helper' is not defined" });
  });

  it("inputs are a copy: mutating them changes neither the recorded inputs nor what the next node gets", async () => {
    const a = py("a", "inputs['items'].append(99)\ninputs['added'] = True\noutputs['seen'] = inputs['items']");
    const b = py("b", "outputs['items'] = inputs['items']\noutputs['added'] = 'added' in inputs");
    const result = await single.run(workflow("a", [a, b], [edge("a", "b")]), { inputs: { items: [1] }, historyMode: "full" });
    expect(result.history[0]!.inputs).toEqual({ items: [1] });
    expect(result.history[0]!.outputs).toEqual({ seen: [1, 99] });
    expect(result.outputs).toEqual({ items: [1], added: false });
  });

  it("outputs may be reassigned; None becomes {}", async () => {
    expect((await runCode("outputs = {'new': True, 'n': [1, 2]}")).outputs).toEqual({ new: true, n: [1, 2] });
    const none = await runCode("outputs = None");
    expect([none.status, none.outputs]).toEqual(["succeeded", {}]);
  });

  const endsEarly = (stop: string) => lines("outputs['a'] = 1", "print('before')", stop, "outputs['b'] = 2", "print('after')");

  it("sys.exit() ends the node early and keeps its outputs and stdout, whatever the exit code", async () => {
    for (const stop of ["import sys; sys.exit(0)", "import sys; sys.exit(1)", "raise SystemExit"]) {
      const result = await runCode(endsEarly(stop));
      expect([stop, result.status, result.outputs, result.history[0]!.stdout]).toEqual([stop, "succeeded", { a: 1 }, "before\n"]);
    }
  });

  // Regression: exit() and quit() (site.Quitter) close sys.stdin before raising SystemExit. While
  // the runner read its frames from sys.stdin, that close blocked on the reader thread's buffer
  // lock and the node hung until its deadline; the runner now reads a private duplicate of fd 0.
  it("exit() and quit() end the node early and keep its outputs and stdout", async () => {
    for (const stop of ["exit()", "quit()"]) {
      const result = await runtime.run(workflow("n", [py("n", endsEarly(stop))]), { nodeTimeoutS: 2, historyMode: "full" });
      expect([stop, result.history[0]!.status, result.outputs, result.history[0]!.stdout]).toEqual([stop, "succeeded", { a: 1 }, "before\n"]);
    }
  });

  // BUG (src/sandbox/python/runner.py, module level: `sys.stdin = io.TextIOWrapper(io.BytesIO(b""), ...)`):
  // the empty stdin that replaces the protocol pipe is one object for the worker's whole life, and
  // exit()/quit() close it (site.Quitter calls sys.stdin.close()). Every later node on that worker
  // then gets `ValueError: I/O operation on closed file.` from input() or sys.stdin.read(), where
  // the first got EOFError / "": state leaking from one node into the next. Fix: give each job a
  // fresh empty stdin in _run_job (set next to the stdout capture, restored in its finally).
  it("stdin is an empty stream for every node: input() raises EOFError and host calls still work, also after a node called exit() on that worker", async () => {
    const dir = tempDir();
    const fresh = createRuntime({ config: { python: { max_workers: 1 } }, tools: { echo: (args: Record<string, unknown>) => args }, workspaceDir: path.join(dir, "ws"), dataDir: path.join(dir, "data") });
    try {
      const reader = lines("import sys", "try:", "    input()", "except EOFError:", "    outputs['eof'] = True", "outputs['rest'] = sys.stdin.read()", "outputs['echo'] = tool.run('echo', a=1)");
      const wf = workflow("r1", [py("r1", reader), py("quits", "exit()"), py("r2", reader)], [edge("r1", "quits"), edge("quits", "r2")]);
      const result = await fresh.run(wf, { nodeTimeoutS: 5, historyMode: "full" });
      const expected = { eof: true, rest: "", echo: { a: 1 } };
      expect(result.history.map((s) => [s.nodeId, s.status, s.error, s.outputs])).toEqual([
        ["r1", "succeeded", null, expected],
        ["quits", "succeeded", null, {}],
        ["r2", "succeeded", null, expected],
      ]);
    } finally {
      await fresh.close();
    }
  });

  it("print is captured per node: two parallel nodes printing in loops each get only their own lines", async () => {
    const printer = (id: string) => py(id, lines("import time", "for i in range(15):", `    print('${id}', i)`, "    time.sleep(0.004)", `outputs['${id}'] = True`));
    const wf = workflow("root", [py("root", "print('root')"), printer("left"), printer("right")], [edge("root", "left"), edge("root", "right", { order: 1 })]);
    const result = await runtime.run(wf, { maxParallel: 2, historyMode: "full" });
    const own = (id: string) => Array.from({ length: 15 }, (_, i) => `${id} ${i}\n`).join("");
    expect(result.history.map((s) => [s.nodeId, s.stdout])).toEqual([["root", "root\n"], ["left", own("left")], ["right", own("right")]]);
    // They did run at the same time, in two processes.
    const [, left, right] = result.history;
    expect(Date.parse(right!.startedAt)).toBeLessThan(Date.parse(left!.startedAt) + left!.durationMs);
  });

  it("print from a thread the node starts and joins is captured for that node, stderr too", async () => {
    const code = lines("import sys, threading", "t = threading.Thread(target=lambda: print('from thread'))", "t.start(); t.join()", "print('to stderr', file=sys.stderr)");
    expect((await runCode(code)).history[0]!.stdout).toBe("from thread\nto stderr\n");
  });

  // BUG (src/sandbox/python/runner.py _run_job / _JobStdout): capture swaps the process-wide
  // sys.stdout, so a thread a node leaves running prints into whichever node runs next on that
  // worker (SPEC §3: print is captured per node, never process-wide; and such a thread is work
  // that outlives its node). Fix: when a job ends with threads it started still alive, retire the
  // worker (exit after sending `done`, the pool starts a new one); or route writes by the thread
  // that makes them (a per-thread capture set on Thread.start) and drop writes from a finished job.
  it("a thread left running by node A does not print into node B's stdout on the same worker", async () => {
    const a = py("a", lines("import threading, time", "def chatter():", "    for i in range(5):", "        time.sleep(0.04)", "        print('from A', i)", "threading.Thread(target=chatter).start()", "outputs['a'] = 1"));
    const b = py("b", "import time\ntime.sleep(0.3)\nprint('from B')");
    const result = await single.run(workflow("a", [a, b], [edge("a", "b")]), { historyMode: "full" });
    expect(result.history.map((s) => [s.nodeId, s.stdout])).toEqual([["a", ""], ["b", "from B\n"]]);
  });

  it("get_path reads the node's inputs (or given data); cancelled() and is_cancelled() are False in a normal run", async () => {
    const code = lines(
      "outputs['deep'] = get_path('a.b.0')",
      "outputs['dollar'] = get_path('$.a.b.1')",
      "outputs['missing'] = get_path('a.nope')",
      "outputs['other'] = get_path('k', {'k': 3})",
      "outputs['cancelled'] = [cancelled(), is_cancelled()]",
    );
    const result = await runCode(code, { a: { b: [5, 6] } });
    expect(result.outputs).toEqual({ deep: 5, dollar: 6, missing: null, other: 3, cancelled: [false, false] });
  });

  it("the flocks shim: WorkspaceManager gives the configured workspaceDir as a pathlib.Path, Config().get_global().data_dir the dataDir", async () => {
    const code = lines(
      "import pathlib",
      "from flocks.workspace.manager import WorkspaceManager",
      "from flocks.config import Config",
      "ws = WorkspaceManager.get_instance().get_workspace_dir()",
      "outputs['ws'] = [str(ws), isinstance(ws, pathlib.Path), ws.is_dir(), WorkspaceManager.get_instance() is WorkspaceManager.get_instance()]",
      "data = Config().get_global().data_dir",
      "outputs['data'] = [str(data), isinstance(data, pathlib.Path)]",
      "(ws / 'report.md').write_text('# report')",
    );
    const result = await runCode(code);
    expect(result.outputs).toEqual({ ws: [workspaceDir, true, true, true], data: [dataDir, true] });
    expect(readFileSync(path.join(workspaceDir, "report.md"), "utf8")).toBe("# report");
  });
});

describe.skipIf(!hasPython)("tool.run and tool.run_safe from Python", () => {
  it("values round-trip: dict, list, str, None, numbers, booleans and non-ASCII text", async () => {
    const code = lines(
      "sent = {'d': {'a': [1, None, 'é']}, 's': 'x', 'n': None, 'l': [1.5, True, False], 'i': 7}",
      "echoed = tool.run('echo', **sent)",
      "outputs['same'] = echoed == sent",
      "outputs['types'] = [type(tool.run(name)).__name__ for name in ('search', 'numbers', 'lines', 'empty')]",
      "outputs['values'] = [tool.run('search'), tool.run('numbers'), tool.run('lines'), tool.run('empty')]",
      "outputs['upper'] = tool.run('upper', text='héllo')",
    );
    const result = await runCode(code);
    expect(result.outputs).toEqual({
      same: true,
      types: ["dict", "list", "str", "NoneType"],
      values: [{ results: [{ id: 1 }], count: 1, note: "é" }, [1, 2, 3], "line1\nline2", null],
      upper: "HÉLLO",
    });
  });

  it("run_safe returns Flocks' envelope exactly, for success and for failure", async () => {
    const code = lines("outputs['ok'] = tool.run_safe('echo', k='é')", "outputs['bad'] = tool.run_safe('fail', message='nope')", "outputs['keys'] = sorted(outputs['ok'])");
    const result = await runCode(code);
    expect(result.outputs).toEqual({
      ok: { success: true, text: '{"k": "é"}', obj: { k: "é" }, error: null },
      bad: { success: false, text: "", obj: null, error: "Tool 'fail' failed: Error: nope" },
      keys: ["error", "obj", "success", "text"],
    });
  });

  it("tool.run on a failing tool raises a ToolError that `except Exception` catches; an unknown tool raises ToolNotFoundError", async () => {
    const code = lines(
      "try:",
      "    tool.run('fail', message='boom')",
      "except Exception as e:",
      "    outputs['caught'] = [type(e).__name__, str(e), isinstance(e, RuntimeError)]",
      "try:",
      "    tool.run('no_such_tool')",
      "except Exception as e:",
      "    outputs['missing'] = [type(e).__name__, str(e)]",
    );
    const result = await runCode(code);
    expect(result.outputs).toEqual({
      caught: ["ToolError", "Tool 'fail' failed: Error: boom", true],
      missing: ["ToolNotFoundError", "Tool not found: 'no_such_tool'"],
    });
  });

  it("cancelling the run while the node sits in `try: tool.run('sleep') except Exception:` ends it cancelled with no outputs", async () => {
    const code = lines("outputs['before'] = True", "try:", "    tool.run('sleep', ms=5000)", "except Exception:", "    outputs['caught'] = True", "outputs['after'] = True");
    const controller = new AbortController();
    const startedBefore = log.started.length;
    const running = runtime.run(workflow("guarded", [py("guarded", code)]), { signal: controller.signal, historyMode: "full" });
    const end = performance.now() + 10_000;
    while (log.started.length === startedBefore && performance.now() < end) await new Promise((r) => setTimeout(r, 5));
    expect(log.started.at(-1)).toBe("guarded");
    const cancelledAt = performance.now();
    controller.abort();
    const result = await running;
    expect(performance.now() - cancelledAt).toBeLessThan(300);
    expect(result.status).toBe("cancelled");
    expect(result.outputs).toEqual({});
    expect(result.history.map((s) => [s.nodeId, s.status, s.errorType, s.outputs])).toEqual([["guarded", "cancelled", "RunCancelledError", {}]]);
    expect(log.aborted.filter((a) => a.nodeId === "guarded").map((a) => a.reason)).toEqual(["RunCancelledError"]);
  });

  it("a RunCancelledError from the host is a BaseException in Python: `except Exception` does not catch it", async () => {
    // Straight at the pool, so the host can answer a call with a cancellation while the worker lives.
    const dir = tempDir();
    const pool = new PythonPool({ maxWorkers: 1, workspaceDir: path.join(dir, "ws"), dataDir: path.join(dir, "data") });
    const hostCalls = () => Promise.reject(new RunCancelledError("r-42"));
    const signal = new AbortController().signal;
    try {
      const notCaught = pool.run({
        nodeId: "guarded",
        code: lines("print('calling')", "try:", "    tool.run('anything')", "except Exception:", "    print('caught')"),
        inputs: {},
        requirements: [],
        signal,
        hostCalls,
      });
      await expect(notCaught).rejects.toMatchObject({ name: "CodeError", errorType: "RunCancelledError", message: "Run cancelled: run_id=r-42", stdout: "calling\n" });
      const baseCaught = await pool.run({
        nodeId: "base",
        code: lines("try:", "    tool.run_safe('anything')", "except BaseException as e:", "    outputs['seen'] = [type(e).__name__, isinstance(e, Exception)]"),
        inputs: {},
        requirements: [],
        signal,
        hostCalls,
      });
      expect(baseCaught.outputs).toEqual({ seen: ["RunCancelledError", false] });
    } finally {
      await pool.close();
    }
  });
});

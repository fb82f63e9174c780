/**
 * flockflow Python bench (issue 4 "Benchmark"): warm latency of an empty Python node and of a node
 * making one `llm.ask` against the mock, next to the same from a JavaScript node; the bridge's
 * overhead per call, once and amortised over 100 calls in one node; and end-to-end runs/s of
 * Flocks' shipped `tdp_alert_triage_fixed` (stub tools, mock LLM), one run at a time and 8 at a
 * time. Prints Markdown on stdout (progress on stderr); `--write` also rewrites the Python section
 * of docs/benchmarks.md.
 *
 *   npm run build && node bench/python/run.mjs [--write] [--quick]
 *
 * Every run's status and outputs are checked, and the mock's request count must match the calls
 * made; anything else aborts the bench with exit code 1, so a broken bridge never produces a number.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRuntime } from "../../dist/index.js";
import { percentile, sample, summarise } from "../engine/measure.mjs";
import { closedLoop } from "../llm/measure-calls.mjs";
import { benchMachine } from "../shared/machine-info.mjs";
import { finishReport, progress, runBench, UsageError } from "../shared/run-bench.mjs";
import { ASK_PROMPT, branchNode, codeNode, expectedReply } from "./node-workflows.mjs";
import { startCpuCount } from "./process-cpu.mjs";
import { describeInterpreter } from "./python-interpreter.mjs";
import { goals, renderMarkdown, writePythonSection } from "./render-report.mjs";
import { spawnMockCli } from "./spawn-mock-cli.mjs";
import { LLM_CALLS_PER_RUN, TRIAGE_MOCK_RULE, WORKFLOW_DIR, openTriage, workflowPresent } from "./triage-workflow.mjs";

const LANGUAGES = ["javascript", "python"];
/** The mock's default reply, in one chunk, with no delay: the call costs as little as the server can make it. */
const MOCK_RULES = [TRIAGE_MOCK_RULE, { behavior: { chunkCount: 1 } }];
const FULL = { emptyRuns: 3_000, emptyWarmup: 300, askRuns: 1_000, askWarmup: 300, loopRuns: 50, loopWarmup: 5, coldStarts: 5, triageSequential: 500, triageParallel: 1_500, triageWarmup: 40 };
const QUICK = { emptyRuns: 1_000, emptyWarmup: 100, askRuns: 300, askWarmup: 100, loopRuns: 10, loopWarmup: 2, coldStarts: 3, triageSequential: 100, triageParallel: 200, triageWarmup: 16 };
const LOOP_CALLS = 100;
const TRIAGE_CONCURRENCY = 8;
const TRIAGE_PYTHON_WORKERS = 8;

function parseArgs(argv) {
  const args = { write: false, quick: false };
  for (const arg of argv) {
    if (arg === "--write") args.write = true;
    else if (arg === "--quick") args.quick = true;
    else throw new UsageError(`unknown argument ${arg}; use --write and/or --quick`);
  }
  if (args.write && args.quick) throw new UsageError("--write needs the full run: drop --quick");
  return args;
}

/** Aborts the bench unless a one-node run succeeded and `check(outputs)` holds. */
function expectOutputs(name, check) {
  return (result) => {
    if (result.status !== "succeeded" || result.steps !== 1 || !check(result.outputs)) {
      throw new Error(`${name}: expected a succeeded one-node run, got ${result.status}: ${result.error ?? JSON.stringify(result.outputs)}`);
    }
  };
}

/** Chat completion requests the mock saw while `fn` ran must equal `expected`. */
async function expectRequests(mock, expected, name, fn) {
  const before = (await mock.stats()).requests;
  const value = await fn();
  const seen = (await mock.stats()).requests - before;
  if (seen !== expected) throw new Error(`${name}: the mock saw ${seen} requests, expected ${expected}`);
  return value;
}

function tempFolders() {
  const root = mkdtempSync(path.join(os.tmpdir(), "ff-bench-python-"));
  return { root, workspaceDir: path.join(root, "workspace"), dataDir: path.join(root, "data"), env: { ...process.env, HOME: root } };
}

function llmConfig(mockUrl) {
  return {
    provider: { mock: { type: "openai-compatible", options: { baseURL: mockUrl, apiKey: "bench-key" } } },
    default_models: { llm: { provider_id: "mock", model_id: "mock-model" } },
  };
}

/** Empty nodes (and the `branch` floor), with the default 300 s node deadline and with it off. */
async function emptyNodeCases(runtime, sizes) {
  const rows = [];
  const floor = branchNode();
  const floorRuns = await sample(() => runtime.run(floor), { warmupRuns: sizes.emptyWarmup, runs: sizes.emptyRuns, check: expectOutputs("branch node", () => true) });
  rows.push({ key: "branch", label: "one `branch` node (no code: the engine's floor per run)", unit: "per run", stats: summarise(floorRuns) });
  for (const language of LANGUAGES) {
    progress(`empty ${language} node…`);
    const workflow = codeNode(language, "empty");
    const check = expectOutputs(`empty ${language} node`, (o) => o.x === 1);
    const withDeadline = await sample(() => runtime.run(workflow), { warmupRuns: sizes.emptyWarmup, runs: sizes.emptyRuns, check });
    const withoutDeadline = await sample(() => runtime.run(workflow, { nodeTimeoutS: 0 }), { warmupRuns: sizes.emptyWarmup, runs: sizes.emptyRuns, check });
    rows.push({ key: `${language}.empty`, label: `empty \`${language}\` node, 300 s node deadline`, unit: "per run", stats: summarise(withDeadline) });
    rows.push({ key: `${language}.emptyNoDeadline`, label: `… node deadline off (\`nodeTimeoutS: 0\`)`, unit: "per run", stats: summarise(withoutDeadline) });
  }
  return rows;
}

/** One `llm.ask` per run from each language, the same call made directly, and loops of 100. */
async function askCases(runtime, mock, sizes) {
  const rows = [];
  const llm = runtime.llm;
  const baseSettings = llm.baseSettings;
  const directAsk = async (prompt) => {
    const text = await llm.ask({ prompt, baseSettings, overrideSettings: {} }, { signal: new AbortController().signal });
    if (text !== expectedReply(prompt)) throw new Error(`direct LlmRuntime.ask: wrong answer ${JSON.stringify(text)}`);
  };

  progress("direct LlmRuntime.ask…");
  const direct = await expectRequests(mock, sizes.askWarmup + sizes.askRuns, "direct ask", () =>
    sample(() => directAsk(ASK_PROMPT), { warmupRuns: sizes.askWarmup, runs: sizes.askRuns, check: () => {} }),
  );
  rows.push({ key: "direct.ask", label: "`LlmRuntime.ask` called directly (the same call, no node)", unit: "per call", stats: summarise(direct) });

  for (const language of LANGUAGES) {
    progress(`${language} node with one llm.ask…`);
    const workflow = codeNode(language, "ask");
    const check = expectOutputs(`${language} ask node`, (o) => o.text === expectedReply(ASK_PROMPT));
    const samples = await expectRequests(mock, sizes.askWarmup + sizes.askRuns, `${language} ask node`, () =>
      sample(() => runtime.run(workflow, { inputs: { prompt: ASK_PROMPT } }), { warmupRuns: sizes.askWarmup, runs: sizes.askRuns, check }),
    );
    rows.push({ key: `${language}.ask`, label: `\`${language}\` node making one \`llm.ask\``, unit: "per run", stats: summarise(samples) });
  }

  progress(`direct LlmRuntime.ask, ${LOOP_CALLS} in a row…`);
  const directLoop = await expectRequests(mock, (sizes.loopWarmup + sizes.loopRuns) * LOOP_CALLS, "direct loop", () =>
    sample(
      async () => {
        for (let i = 0; i < LOOP_CALLS; i++) await directAsk(`${ASK_PROMPT} ${i}`);
      },
      { warmupRuns: sizes.loopWarmup, runs: sizes.loopRuns, check: () => {} },
    ),
  );
  rows.push({ key: "direct.loop", label: `\`LlmRuntime.ask\` directly, ${LOOP_CALLS} calls in a row`, unit: "per call", stats: summarise(directLoop, LOOP_CALLS) });

  for (const language of LANGUAGES) {
    progress(`${language} node with ${LOOP_CALLS} llm.ask in a loop…`);
    const workflow = codeNode(language, "askLoop");
    const check = expectOutputs(`${language} ask loop`, (o) => o.calls === LOOP_CALLS);
    const samples = await expectRequests(mock, (sizes.loopWarmup + sizes.loopRuns) * LOOP_CALLS, `${language} ask loop`, () =>
      sample(() => runtime.run(workflow, { inputs: { prompt: ASK_PROMPT, calls: LOOP_CALLS } }), { warmupRuns: sizes.loopWarmup, runs: sizes.loopRuns, check }),
    );
    rows.push({ key: `${language}.loop`, label: `\`${language}\` node making ${LOOP_CALLS} \`llm.ask\` in a loop (run time / ${LOOP_CALLS})`, unit: "per call", stats: summarise(samples, LOOP_CALLS) });
  }
  return rows;
}

/**
 * The first Python node of a fresh runtime: the worker process starts (interpreter, runner.py,
 * ready frame) before the job runs. Through `python3` from PATH (here a pyenv shim, a bash script
 * that finds the interpreter and execs it) and through the interpreter's own path.
 */
async function coldStartCases(interpreter, sizes) {
  const rows = [];
  const workflow = codeNode("python", "empty");
  const check = expectOutputs("cold python node", (o) => o.x === 1);
  const variants = [["python3", undefined, "`python3` from PATH"]];
  if (interpreter.resolved && interpreter.resolved !== interpreter.onPath) variants.push(["resolved", interpreter.resolved, `\`${interpreter.resolved}\` (\`python.executable\`)`]);
  for (const [key, executable, name] of variants) {
    const samples = [];
    for (let i = 0; i < sizes.coldStarts; i++) {
      const folders = tempFolders();
      const runtime = createRuntime({ env: folders.env, workspaceDir: folders.workspaceDir, dataDir: folders.dataDir, pythonExecutable: executable });
      try {
        const t0 = performance.now();
        check(await runtime.run(workflow));
        samples.push(performance.now() - t0);
      } finally {
        await runtime.close();
        rmSync(folders.root, { recursive: true, force: true });
      }
    }
    rows.push({ key: `cold.${key}`, label: `first \`python\` node of a fresh runtime (worker start), ${name}`, unit: "per run", stats: summarise(samples) });
  }
  return rows;
}

async function triageCases(mock, sizes) {
  if (!workflowPresent()) {
    const message = `skipped: ${WORKFLOW_DIR} is absent`;
    progress(`tdp_alert_triage_fixed ${message}`);
    return { skipped: message, rows: [] };
  }
  const triage = await openTriage(mock.url, { pythonWorkers: TRIAGE_PYTHON_WORKERS });
  try {
    const rows = [];
    for (const [concurrency, runs] of [[1, sizes.triageSequential], [TRIAGE_CONCURRENCY, sizes.triageParallel]]) {
      progress(`tdp_alert_triage_fixed, ${concurrency} at a time…`);
      const warmup = Math.max(sizes.triageWarmup, 2 * concurrency);
      const { latenciesMs, elapsedMs, cpuMs } = await expectRequests(mock, (warmup + runs) * LLM_CALLS_PER_RUN, `tdp_alert_triage_fixed ×${concurrency}`, async () => {
        await closedLoop(async () => triage.check(await triage.run()), { calls: warmup, concurrency });
        const cpu = startCpuCount(mock.pid);
        const timed = await closedLoop(async () => triage.check(await triage.run()), { calls: runs, concurrency });
        return { ...timed, cpuMs: cpu.stop() };
      });
      const perRun = cpuMs && { hostMs: cpuMs.hostMs / runs, pythonMs: cpuMs.pythonMs / runs, mockMs: cpuMs.mockMs / runs };
      rows.push({ concurrency, runs, runsPerS: (runs / elapsedMs) * 1000, p50Ms: percentile(latenciesMs, 50), p99Ms: percentile(latenciesMs, 99), cpuPerRun: perRun });
    }
    triage.verify();
    return { rows, cores: os.cpus().length };
  } finally {
    await triage.close();
  }
}

function describeMachine({ loadBefore, durationS, quick, interpreter }) {
  return benchMachine({ quick, loadBefore, durationS, modeText: "**Quick run** (`--quick`): fewer runs than the full run. ", extra: { python: interpreter.describe } });
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const sizes = args.quick ? QUICK : FULL;
  const startedAt = performance.now();
  const loadBefore = os.loadavg()[0];
  const interpreter = describeInterpreter();
  const mock = await spawnMockCli(MOCK_RULES);
  const latency = [];
  let triage;
  try {
    progress(`mock at ${mock.url} (pid ${mock.pid}); python3 → ${interpreter.resolved}`);
    const folders = tempFolders();
    const runtime = createRuntime({ config: llmConfig(mock.url), env: folders.env, workspaceDir: folders.workspaceDir, dataDir: folders.dataDir });
    try {
      latency.push(...(await emptyNodeCases(runtime, sizes)));
      latency.push(...(await askCases(runtime, mock, sizes)));
    } finally {
      await runtime.close();
      rmSync(folders.root, { recursive: true, force: true });
    }
    progress("cold starts…");
    latency.push(...(await coldStartCases(interpreter, sizes)));
    triage = await triageCases(mock, sizes);
  } finally {
    await mock.close();
  }
  const durationS = (performance.now() - startedAt) / 1000;
  const byKey = Object.fromEntries(latency.map((r) => [r.key, r]));
  const markdown = renderMarkdown({
    machine: describeMachine({ loadBefore, durationS, quick: args.quick, interpreter }),
    latency,
    byKey,
    triage,
    goals: goals(byKey, triage),
    loopCalls: LOOP_CALLS,
    triageConcurrency: TRIAGE_CONCURRENCY,
    triageWorkers: TRIAGE_PYTHON_WORKERS,
  });
  finishReport({ markdown, write: args.write, writeSection: writePythonSection, durationS });
}

runBench(main);

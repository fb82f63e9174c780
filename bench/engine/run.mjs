/**
 * flockflow engine bench (issue 2 "Benchmark"): per-node overhead of `branch` and `javascript`
 * chains, a 100-way fan-out into a join, warm JavaScript node latency, and LangGraph.js on the
 * same shapes, side by side in one process. Prints a Markdown table on stdout (progress on stderr);
 * `--write` also rewrites the engine section of docs/benchmarks.md.
 *
 *   npm run build && npm install --prefix bench && node bench/engine/run.mjs [--write] [--only NAMES]
 *
 * Every flockflow run must end `succeeded` with the expected step count; anything else aborts the
 * bench with exit code 1, so a broken engine never produces a number.
 */
import { EventEmitter, setMaxListeners } from "node:events";
import { createRequire } from "node:module";
import os from "node:os";
import { createRuntime } from "../../dist/index.js";
import { benchMachine } from "../shared/machine-info.mjs";
import { formatMs } from "../shared/markdown.mjs";
import { finishReport, progress, runBench, UsageError } from "../shared/run-bench.mjs";
import * as flockflow from "./flockflow-workflows.mjs";
import { langgraphChain, langgraphFanOut } from "./langgraph-graphs.mjs";
import { sample, summarise } from "./measure.mjs";
import { renderMarkdown, writeEngineSection } from "./render-report.mjs";

const CHAIN_LENGTH = 1_000;
const FAN_OUT_WIDTH = 100;
const BENCH_NAMES = ["branch-chain", "js-chain", "fan-out", "js-latency", "langgraph"];

function parseArgs(argv) {
  const args = { write: false, only: new Set(BENCH_NAMES) };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--write") args.write = true;
    else if (argv[i] === "--only") args.only = new Set(argv[++i]?.split(",") ?? []);
    else throw new UsageError(`unknown argument ${argv[i]}; use --write and/or --only ${BENCH_NAMES.join(",")}`);
  }
  for (const name of args.only) if (!BENCH_NAMES.includes(name)) throw new UsageError(`unknown bench ${name}; one of ${BENCH_NAMES.join(", ")}`);
  if (args.write && args.only.size !== BENCH_NAMES.length) throw new UsageError("--write needs every bench: drop --only");
  return args;
}

/** Aborts the bench unless the run succeeded with `steps` steps (and `check` passes). */
function expectSucceeded(name, steps, check = () => true) {
  return (result) => {
    if (result.status !== "succeeded" || result.steps !== steps || !check(result)) {
      throw new Error(`${name}: expected a succeeded run of ${steps} steps, got ${result.status} after ${result.steps} steps: ${result.error ?? JSON.stringify(result.outputs)}`);
    }
  };
}

async function benchBranchChain(runtime) {
  const workflow = flockflow.branchChain(CHAIN_LENGTH);
  const check = expectSucceeded("branch chain", CHAIN_LENGTH);
  const runs = await sample(() => runtime.run(workflow), { warmupRuns: 20, runs: 31, check });
  const prepare = await sample(() => runtime.prepare(workflow), { warmupRuns: 5, runs: 31, check: () => {} });
  return [
    { key: "branchPerNode", label: "flockflow: 1,000 `branch` nodes in a chain", unit: "per node", stats: summarise(runs, CHAIN_LENGTH), goal: "≤ 5 µs" },
    { label: "… `runtime.prepare` alone on that chain (the lint every `run` does)", unit: "per node", stats: summarise(prepare, CHAIN_LENGTH) },
  ];
}

async function benchJavascriptChain(runtime) {
  const workflow = flockflow.javascriptChain(CHAIN_LENGTH);
  const check = expectSucceeded("javascript chain", CHAIN_LENGTH, (r) => r.outputs.i === CHAIN_LENGTH);
  const withDeadline = await sample(() => runtime.run(workflow), { warmupRuns: 3, runs: 9, check });
  const withoutDeadline = await sample(() => runtime.run(workflow, { nodeTimeoutS: 0 }), { warmupRuns: 1, runs: 9, check });
  return [
    { key: "jsPerNode", label: "flockflow: 1,000 `javascript` nodes in a chain, 300 s node deadline", unit: "per node", stats: summarise(withDeadline, CHAIN_LENGTH), goal: "≤ 60 µs" },
    { label: "flockflow: the same chain, node deadline off (`nodeTimeoutS: 0`)", unit: "per node", stats: summarise(withoutDeadline, CHAIN_LENGTH) },
  ];
}

async function benchFanOut(runtime) {
  const rows = [];
  for (const [siblingType, warmupRuns, runs] of [["branch", 30, 61], ["javascript", 5, 31]]) {
    const workflow = flockflow.fanOutWorkflow(FAN_OUT_WIDTH, siblingType);
    const check = expectSucceeded(`${siblingType} fan-out`, FAN_OUT_WIDTH + 2);
    const samples = await sample(() => runtime.run(workflow, { inputs: flockflow.FAN_OUT_INPUTS }), { warmupRuns, runs, check });
    rows.push({ key: `${siblingType}FanOut`, label: `flockflow: start → 100 \`${siblingType}\` → join`, unit: "per run", stats: summarise(samples) });
  }
  return rows;
}

async function benchJavascriptLatency(runtime) {
  const workflow = flockflow.singleJavascriptNode();
  const check = expectSucceeded("warm javascript node", 1, (r) => r.outputs.i === 1);
  const samples = await sample(() => runtime.run(workflow), { warmupRuns: 300, runs: 3_000, check });
  return [{ label: "flockflow: one-node workflow, warm `javascript` node", unit: "per run", stats: summarise(samples), showP99: true }];
}

async function benchLangGraph() {
  // LangGraph's runner adds one abort listener per task to a shared signal; 100 siblings trip
  // Node's leak warning. Raise the default only while LangGraph runs, then put it back.
  const previousMaxListeners = EventEmitter.defaultMaxListeners;
  setMaxListeners(4 * FAN_OUT_WIDTH);
  try {
    const chain = langgraphChain(CHAIN_LENGTH);
    const chainConfig = { recursionLimit: CHAIN_LENGTH + 10 };
    const chainCheck = (state) => {
      if (state.count !== CHAIN_LENGTH) throw new Error(`LangGraph chain: expected count ${CHAIN_LENGTH}, got ${state.count}`);
    };
    const chainRuns = await sample(() => chain.invoke({ count: 0 }, chainConfig), { warmupRuns: 2, runs: 7, check: chainCheck });

    const fanOut = langgraphFanOut(FAN_OUT_WIDTH);
    const fanOutCheck = (state) => {
      if (state.count !== FAN_OUT_WIDTH + 2) throw new Error(`LangGraph fan-out: expected count ${FAN_OUT_WIDTH + 2}, got ${state.count}`);
    };
    const fanOutRuns = await sample(() => fanOut.invoke({ count: 0 }, { recursionLimit: 10 }), { warmupRuns: 5, runs: 21, check: fanOutCheck });
    return [
      { key: "langgraphPerStep", label: "LangGraph.js: 1,000 nodes in a chain", unit: "per step", stats: summarise(chainRuns, CHAIN_LENGTH) },
      { key: "langgraphFanOut", label: "LangGraph.js: start → 100 nodes → join", unit: "per run", stats: summarise(fanOutRuns) },
    ];
  } finally {
    setMaxListeners(previousMaxListeners);
  }
}

function ratios(byKey) {
  const out = [];
  const { branchPerNode, jsPerNode, langgraphPerStep, branchFanOut, javascriptFanOut, langgraphFanOut } = byKey;
  const fanOutRatio = (fan, siblingType) => {
    const times = langgraphFanOut.stats.medianMs / fan.stats.medianMs;
    const value = times >= 1 ? `1/${times.toFixed(1)}` : `${(1 / times).toFixed(1)}×`;
    return { label: `fan-out run: flockflow with 100 \`${siblingType}\` siblings / LangGraph.js`, value, goal: "(information)" };
  };
  if (branchPerNode && langgraphPerStep) {
    const times = langgraphPerStep.stats.medianMs / branchPerNode.stats.medianMs;
    out.push({ label: "flockflow per `branch` node / LangGraph.js per step", value: `1/${Math.round(times)}`, goal: "≤ 1/50", met: times >= 50 });
  }
  if (branchPerNode) out.push({ label: "flockflow per no-code (`branch`) node", value: formatMs(branchPerNode.stats.medianMs), goal: "≤ 5 µs", met: branchPerNode.stats.medianMs <= 0.005 });
  if (jsPerNode) out.push({ label: "flockflow per warm `javascript` node, deadline enforced", value: formatMs(jsPerNode.stats.medianMs), goal: "≤ 60 µs", met: jsPerNode.stats.medianMs <= 0.06 });
  if (branchFanOut && langgraphFanOut) out.push(fanOutRatio(branchFanOut, "branch"));
  if (javascriptFanOut && langgraphFanOut) out.push(fanOutRatio(javascriptFanOut, "javascript"));
  return out;
}

function describeMachine({ loadBefore, durationS }) {
  const require = createRequire(new URL("../package.json", import.meta.url));
  const extra = {
    langgraph: require("@langchain/langgraph/package.json").version,
    langchainCore: require("@langchain/core/package.json").version,
    gcExposed: typeof globalThis.gc === "function",
  };
  return benchMachine({ loadBefore, durationS, extra });
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const benchStartedAt = performance.now();
  const loadBefore = os.loadavg()[0];
  const rows = [];
  const runtime = createRuntime();
  try {
    const flockflowBenches = [
      ["branch-chain", benchBranchChain],
      ["js-chain", benchJavascriptChain],
      ["fan-out", benchFanOut],
      ["js-latency", benchJavascriptLatency],
    ];
    for (const [name, bench] of flockflowBenches) {
      if (!args.only.has(name)) continue;
      progress(`${name}…`);
      rows.push(...(await bench(runtime)));
    }
  } finally {
    await runtime.close();
  }
  if (args.only.has("langgraph")) {
    progress("langgraph…");
    rows.push(...(await benchLangGraph()));
  }
  const byKey = Object.fromEntries(rows.filter((r) => r.key).map((r) => [r.key, r]));
  const durationS = (performance.now() - benchStartedAt) / 1000;
  const markdown = renderMarkdown({ machine: describeMachine({ loadBefore, durationS }), rows, ratios: ratios(byKey) });
  finishReport({ markdown, write: args.write, writeSection: writeEngineSection, durationS });
}

runBench(main);

/**
 * flockflow LLM bench (issue 3 "Benchmark"): streamed calls against the mock LLM server through
 * raw undici (the floor), flockflow's LlmRuntime, flockflow from a JavaScript node, openai@6 and
 * ai@6; throughput and latency at concurrency 1, 16 and 64, TCP connections opened, cancel-to-close
 * latency, and abort listeners left on a shared signal. Prints Markdown on stdout (progress on
 * stderr); `--write` also rewrites the LLM section of docs/benchmarks.md.
 *
 *   npm run build && npm install --prefix bench && node bench/llm/run.mjs [--write] [--quick] [--only KEYS]
 *
 * Every call's answer is checked against the mock's reply; a wrong answer, a failed run or a
 * server that saw more requests than were made aborts the bench with exit code 1.
 */
import { readFileSync } from "node:fs";
import os from "node:os";
import { RunCancelledError } from "../../dist/index.js";
import { percentile } from "../engine/measure.mjs";
import { benchMachine } from "../shared/machine-info.mjs";
import { formatMs } from "../shared/markdown.mjs";
import { finishReport, progress, runBench, UsageError } from "../shared/run-bench.mjs";
import { aiSdk } from "./clients/ai-sdk.mjs";
import { flockflowJsNode } from "./clients/flockflow-js-node.mjs";
import { flockflowRuntime } from "./clients/flockflow-runtime.mjs";
import { openaiSdk } from "./clients/openai-sdk.mjs";
import { rawUndici } from "./clients/raw-undici.mjs";
import { abortListeners, cancelSeries, closedLoop, collectGarbage, expectedReply, serverCloseTimes } from "./measure-calls.mjs";
import { renderMarkdown, writeLlmSection } from "./render-report.mjs";
import { spawnMock } from "./spawn-mock.mjs";

const CLIENTS = [rawUndici, flockflowRuntime, flockflowJsNode, openaiSdk, aiSdk];
const CLIENT_KEYS = CLIENTS.map((c) => c.key);
const CONCURRENCIES = [1, 16, 64];
/** Connections per origin for raw undici and flockflow's provider (`max_connections`). */
const POOL_LIMIT = 64;
/** ~20 ms per streamed call: 8 content chunks, 2.5 ms apart, then the finish, usage and [DONE]. */
const PACE = { chunkCount: 8, chunkDelayMs: 2.5 };
const MOCK_RULES = [
  // Cancels: two chunks, then nothing until the client goes away.
  { match: { promptIncludes: "STALL" }, behavior: { ...PACE, stallAfterChunks: 2 } },
  { behavior: PACE },
];
const FULL = { calls: 2_000, cancels: 200, cancelWarmup: 10, listenerCalls: 2_000, processWarmupCalls: 1_000 };
const QUICK = { calls: 200, cancels: 50, cancelWarmup: 5, listenerCalls: 200, processWarmupCalls: 200 };
/** Calls per run when the JavaScript node makes the listener check's calls (one signal, many runs). */
const JS_LISTENER_CALLS_PER_RUN = 100;

function parseArgs(argv) {
  const args = { write: false, quick: false, only: new Set(CLIENT_KEYS) };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--write") args.write = true;
    else if (argv[i] === "--quick") args.quick = true;
    else if (argv[i] === "--only") args.only = new Set(argv[++i]?.split(",") ?? []);
    else throw new UsageError(`unknown argument ${argv[i]}; use --write, --quick and/or --only ${CLIENT_KEYS.join(",")}`);
  }
  for (const key of args.only) if (!CLIENT_KEYS.includes(key)) throw new UsageError(`unknown client ${key}; one of ${CLIENT_KEYS.join(", ")}`);
  if (args.write && (args.quick || args.only.size !== CLIENTS.length)) throw new UsageError("--write needs the full run: drop --quick and --only");
  return args;
}

const isJsNode = (client) => client.key === flockflowJsNode.key;

/** Node process warnings (MaxListenersExceededWarning …) seen while `fn` runs, by name. */
async function withWarnings(fn) {
  const seen = [];
  const onWarning = (warning) => seen.push(warning.name);
  process.on("warning", onWarning);
  try {
    const value = await fn();
    // Warnings are emitted on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
    return { value, warnings: summariseWarnings(seen) };
  } finally {
    process.off("warning", onWarning);
  }
}

function summariseWarnings(names) {
  const counts = new Map();
  for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
  return [...counts].map(([name, n]) => `${name} ×${n}`).join(", ");
}

function checkAnswer(prompt, text) {
  if (text !== expectedReply(prompt)) throw new Error(`wrong answer for ${JSON.stringify(prompt)}: ${JSON.stringify(text)}`);
}

/**
 * `calls` calls at `concurrency` through `handle`: per-call latencies and the span in ms, and the
 * CPU time this process spent meanwhile (all threads, so the JavaScript node's worker counts).
 */
async function driveCalls(client, handle, options) {
  const cpuBefore = process.cpuUsage();
  const result = await driveCallsOnce(client, handle, options);
  const cpu = process.cpuUsage(cpuBefore);
  return { ...result, cpuMs: (cpu.user + cpu.system) / 1000 };
}

async function driveCallsOnce(client, handle, { calls, concurrency, signal, tag }) {
  if (isJsNode(client)) {
    const startedAt = performance.now();
    const latenciesMs = await handle.calls(calls, concurrency, { prompt: tag, signal });
    return { latenciesMs, elapsedMs: performance.now() - startedAt };
  }
  return closedLoop(
    async (i) => {
      const prompt = `${tag} ${i}`;
      checkAnswer(prompt, await handle.call(prompt, { signal }));
    },
    { calls, concurrency },
  );
}

/**
 * Before any case: calls through every client at the highest concurrency, untimed, so that both
 * processes' hot code is optimised before the first timed case. Without it the first case (raw
 * undici at 64) ran against a cold mock and client and came out 30–50% slower than when repeated.
 */
async function warmUpProcesses(mock, clients, sizes) {
  for (const client of clients) {
    const handle = await client.open(mock.url, { maxConnections: POOL_LIMIT });
    try {
      await driveCalls(client, handle, { calls: sizes.processWarmupCalls, concurrency: POOL_LIMIT, tag: "warm" });
    } finally {
      await handle.close();
    }
  }
}

async function throughputCase(mock, client, concurrency, sizes) {
  const handle = await client.open(mock.url, { maxConnections: POOL_LIMIT });
  try {
    await mock.reset();
    const warmupCalls = Math.max(20, 2 * concurrency);
    const { value, warnings } = await withWarnings(async () => {
      await driveCalls(client, handle, { calls: warmupCalls, concurrency, tag: "warm" });
      return driveCalls(client, handle, { calls: sizes.calls, concurrency, tag: "q" });
    });
    const { latenciesMs, elapsedMs, cpuMs } = value;
    const stats = await mock.stats();
    if (stats.requests !== warmupCalls + sizes.calls) throw new Error(`${client.key}: the server saw ${stats.requests} requests, expected ${warmupCalls + sizes.calls}`);
    return {
      key: client.key,
      label: client.label,
      concurrency,
      calls: sizes.calls,
      callsPerS: (sizes.calls / elapsedMs) * 1000,
      p50Ms: percentile(latenciesMs, 50),
      p99Ms: percentile(latenciesMs, 99),
      cpuPerCallUs: (cpuMs / sizes.calls) * 1000,
      connectionsOpened: stats.connectionsOpened,
      peakInFlight: stats.peakInFlight,
      warnings,
    };
  } finally {
    await handle.close();
  }
}

const errorName = (error) => (error && typeof error === "object" && "name" in error ? error.name : typeof error);

/** How each client is cancelled, and how its settlement reads. */
function cancelStrategy(client, handle) {
  if (isJsNode(client)) {
    return {
      start: ({ prompt, model, signal, onToken }) => handle.callInRun(prompt, { model, signal, onToken }),
      abort: (controller) => controller.abort(),
      describe: ({ value, error }) => {
        if (error) return `\`run()\` rejects with ${errorName(error)}`;
        return `run ends \`${value.status}\` with ${String(value.error).split(":", 1)[0]}`;
      },
    };
  }
  const isRuntime = client.key === flockflowRuntime.key;
  return {
    start: ({ prompt, model, signal, onToken }) => handle.call(prompt, { model, signal, onToken }),
    // The engine aborts a run's calls with RunCancelledError; the others get a plain abort().
    abort: isRuntime ? (controller) => controller.abort(new RunCancelledError("bench-cancel")) : (controller) => controller.abort(),
    describe: ({ value, error }) => (error ? `rejects with ${errorName(error)}` : "resolves with the partial text (looks like success)"),
  };
}

async function cancelCase(mock, client, sizes) {
  const handle = await client.open(mock.url, { maxConnections: POOL_LIMIT });
  try {
    await mock.reset();
    // Re-measured per series; the offset should not move, and it costs a few ms.
    await mock.syncClock();
    const cancels = await cancelSeries({ ...cancelStrategy(client, handle), count: sizes.cancels, warmup: sizes.cancelWarmup, tag: client.key });
    const serverMs = await serverCloseTimes(mock, cancels);
    const closed = serverMs.filter((v) => v !== undefined);
    const settled = cancels.map((c) => c.settleMs).filter((v) => v !== undefined);
    const outcomes = new Map();
    for (const c of cancels) outcomes.set(c.outcome, (outcomes.get(c.outcome) ?? 0) + 1);
    const lateAborts = cancels.filter((c) => c.tokensBeforeAbort < 2).length;
    return {
      key: client.key,
      label: client.label,
      count: cancels.length,
      missing: cancels.length - closed.length,
      lateAborts,
      serverP50Ms: closed.length ? percentile(closed, 50) : undefined,
      serverP99Ms: closed.length ? percentile(closed, 99) : undefined,
      serverMaxMs: closed.length ? Math.max(...closed) : undefined,
      settleP50Ms: settled.length ? percentile(settled, 50) : undefined,
      settleP99Ms: settled.length ? percentile(settled, 99) : undefined,
      outcome: [...outcomes].map(([label, n]) => (n === cancels.length ? label : `${label} (${n})`)).join("; "),
      outcomes,
    };
  } finally {
    await handle.close();
  }
}

async function listenerCase(mock, client, sizes) {
  const handle = await client.open(mock.url, { maxConnections: POOL_LIMIT });
  try {
    const shared = new AbortController();
    const { warnings } = await withWarnings(async () => {
      if (isJsNode(client)) {
        for (let made = 0; made < sizes.listenerCalls; made += JS_LISTENER_CALLS_PER_RUN) {
          await driveCalls(client, handle, { calls: Math.min(JS_LISTENER_CALLS_PER_RUN, sizes.listenerCalls - made), concurrency: POOL_LIMIT, signal: shared.signal, tag: "l" });
        }
      } else {
        await driveCalls(client, handle, { calls: sizes.listenerCalls, concurrency: POOL_LIMIT, signal: shared.signal, tag: "l" });
      }
    });
    const listeners = abortListeners(shared.signal);
    // FinalizationRegistry callbacks run some time after the collection that found their objects.
    for (let i = 0; i < 3; i++) {
      collectGarbage();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const where = isJsNode(client) ? ` (in ${Math.ceil(sizes.listenerCalls / JS_LISTENER_CALLS_PER_RUN)} runs, each given the signal)` : "";
    return { key: client.key, label: `${client.label}${where}`, calls: sizes.listenerCalls, listeners, listenersAfterGc: abortListeners(shared.signal), warnings };
  } finally {
    await handle.close();
  }
}

function goals(throughput, cancels, listeners) {
  const out = [];
  const at = (key, concurrency) => throughput.find((t) => t.key === key && t.concurrency === concurrency);
  const runtime64 = at("runtime", 64);
  const undici64 = at("undici", 64);
  if (runtime64 && undici64) out.push({ label: "flockflow runtime / raw undici, calls/s at concurrency 64", value: `${runtime64.vsUndici.toFixed(2)}×`, goal: "≥ 0.9×", met: runtime64.vsUndici >= 0.9 });
  for (const sdk of ["openai", "ai"]) {
    const other = at(sdk, 64);
    if (runtime64 && other) out.push({ label: `flockflow runtime / ${sdk === "ai" ? "ai@6" : "openai@6"}, calls/s at concurrency 64`, value: `${(runtime64.callsPerS / other.callsPerS).toFixed(2)}×`, goal: "> 1×", met: runtime64.callsPerS > other.callsPerS });
  }
  const jsNode64 = at("jsnode", 64);
  if (jsNode64 && undici64) out.push({ label: "flockflow from a JavaScript node / raw undici, calls/s at concurrency 64", value: `${jsNode64.vsUndici.toFixed(2)}×`, goal: "(information)" });
  const runtimeCancel = cancels.find((c) => c.key === "runtime");
  if (runtimeCancel) {
    out.push({ label: "flockflow runtime: abort → server sees close, p99", value: formatMs(runtimeCancel.serverP99Ms ?? Number.NaN), goal: "≤ 3 ms", met: runtimeCancel.missing === 0 && runtimeCancel.serverP99Ms <= 3 });
    const rejected = runtimeCancel.outcomes.get("rejects with RunCancelledError") ?? 0;
    out.push({ label: "flockflow runtime: cancelled calls that reject with RunCancelledError", value: `${rejected} of ${runtimeCancel.count}`, goal: "all", met: rejected === runtimeCancel.count });
  }
  const jsCancel = cancels.find((c) => c.key === "jsnode");
  if (jsCancel) {
    out.push({ label: "flockflow run cancel → server sees close (JavaScript node), p99", value: formatMs(jsCancel.serverP99Ms ?? Number.NaN), goal: "≤ 20 ms", met: jsCancel.missing === 0 && jsCancel.serverP99Ms <= 20 });
    const cancelled = [...jsCancel.outcomes].filter(([label]) => label.startsWith("run ends `cancelled` with RunCancelledError")).reduce((n, [, k]) => n + k, 0);
    out.push({ label: "flockflow runs cancelled mid-call that end `cancelled` with RunCancelledError", value: `${cancelled} of ${jsCancel.count}`, goal: "all", met: cancelled === jsCancel.count });
  }
  for (const key of ["runtime", "jsnode"]) {
    const cases = throughput.filter((t) => t.key === key);
    if (cases.length === 0) continue;
    const most = Math.max(...cases.map((t) => t.connectionsOpened));
    out.push({ label: `${key === "runtime" ? "flockflow runtime" : "flockflow from a JavaScript node"}: most TCP connections opened in a case`, value: String(most), goal: `≤ ${POOL_LIMIT} (pool limit)`, met: most <= POOL_LIMIT });
  }
  for (const l of listeners.filter((x) => x.key === "runtime" || x.key === "jsnode")) {
    out.push({ label: `${l.key === "runtime" ? "flockflow runtime" : "flockflow from a JavaScript node"}: listeners left on the shared signal after ${l.calls.toLocaleString("en-US")} calls`, value: String(l.listeners), goal: "0", met: l.listeners === 0 && l.listenersAfterGc === 0 });
  }
  return out;
}

function describeMachine({ loadBefore, durationS, clock, quick }) {
  // Read from disk: some packages do not export their package.json.
  const versionIn = (root) => (name) => JSON.parse(readFileSync(new URL(`${root}/node_modules/${name}/package.json`, import.meta.url), "utf8")).version;
  const version = versionIn("..");
  return benchMachine({
    quick,
    loadBefore,
    durationS,
    modeText: "**Quick run** (`--quick`): fewer calls and cancels than the full run.",
    extra: {
      flockflowUndici: versionIn("../..")("undici"),
      versions: `bench: undici ${version("undici")}, openai ${version("openai")}, ai ${version("ai")} with @ai-sdk/openai ${version("@ai-sdk/openai")}`,
      pacing: `${PACE.chunkCount} content chunks ${PACE.chunkDelayMs} ms apart per streamed call (about 16–20 ms per call at concurrency 1)`,
      clockSync: `server times converted to the client's clock to within ±${(clock.roundTripMs / 2).toFixed(3)} ms (half the shortest IPC round trip)`,
    },
  });
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const sizes = args.quick ? QUICK : FULL;
  const clients = CLIENTS.filter((c) => args.only.has(c.key));
  const startedAt = performance.now();
  const loadBefore = os.loadavg()[0];
  const mock = await spawnMock(MOCK_RULES);
  const throughput = [];
  const cancels = [];
  const listeners = [];
  let clock;
  try {
    clock = await mock.syncClock();
    progress(`mock at ${mock.url}; server clock offset ${clock.offsetMs.toFixed(3)} ms, shortest IPC round trip ${clock.roundTripMs.toFixed(3)} ms`);
    progress("warming up both processes…");
    await warmUpProcesses(mock, clients, sizes);
    // Highest concurrency first: the goals' cases run closest to the quiet-machine check before the run.
    for (const concurrency of [...CONCURRENCIES].reverse()) {
      for (const client of clients) {
        progress(`throughput: ${client.key} at concurrency ${concurrency}…`);
        throughput.push(await throughputCase(mock, client, concurrency, sizes));
      }
    }
    throughput.sort((a, b) => a.concurrency - b.concurrency || CLIENT_KEYS.indexOf(a.key) - CLIENT_KEYS.indexOf(b.key));
    for (const t of throughput) {
      const floor = throughput.find((u) => u.key === "undici" && u.concurrency === t.concurrency);
      t.vsUndici = floor ? t.callsPerS / floor.callsPerS : undefined;
    }
    for (const client of clients) {
      progress(`cancels: ${client.key}…`);
      cancels.push(await cancelCase(mock, client, sizes));
    }
    for (const client of clients) {
      progress(`listeners: ${client.key}…`);
      listeners.push(await listenerCase(mock, client, sizes));
    }
  } finally {
    await mock.close();
  }
  const durationS = (performance.now() - startedAt) / 1000;
  const markdown = renderMarkdown({
    machine: describeMachine({ loadBefore, durationS, clock, quick: args.quick }),
    throughput,
    cancels,
    listeners,
    goals: goals(throughput, cancels, listeners),
  });
  finishReport({ markdown, write: args.write, writeSection: writeLlmSection, durationS });
}

runBench(main);

/**
 * flockflow service bench (issue 5 "Benchmark"): `flockflow serve` in a child process under load
 * from autocannon in this process, over loopback. Measures `/invoke` on trivial published
 * workflows (one `branch` node, one one-line `javascript` node) at several connection counts, a
 * webhook trigger with `api_key` auth, and 200 concurrent runs of an LLM workflow against the mock
 * LLM (also a child process) sharing one provider pool. Prints Markdown on stdout (progress on
 * stderr); `--write` also rewrites the service section of docs/benchmarks.md.
 *
 *   npm run build && npm install --prefix bench && node bench/service/run.mjs [--write] [--quick] [--profile DIR]
 *
 * Every answer is checked (status code and body); a failed LLM run, a wrong answer or a mock that
 * saw a different number of calls than the runs make aborts the bench with exit code 1. Load is
 * bounded in time (autocannon's duration) and every wait is bounded; the server and the mock are
 * closed at the end, so the process exits by itself.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { benchMachine } from "../shared/machine-info.mjs";
import { finishReport, progress, runBench, UsageError } from "../shared/run-bench.mjs";
import { summariseCpuProfiles } from "./cpu-profile-summary.mjs";
import { runLoad } from "./load.mjs";
import { startCpuCount } from "./process-cpu.mjs";
import { goals, renderMarkdown, writeServiceSection } from "./render-report.mjs";
import { INVOKE_BRANCH, INVOKE_JAVASCRIPT, LLM_CHAIN, WEBHOOK_BRANCH, WEBHOOK_KEY, WEBHOOK_TRIGGER_ID } from "./service-workflows.mjs";
import { spawnMockLlm } from "./spawn-mock-llm.mjs";
import { spawnServer } from "./spawn-server.mjs";

const INVOKE_CONNECTIONS = [16, 32, 64];
const WEBHOOK_CONNECTIONS = [16, 64];
/** Above the most connections, so no `/invoke` call is refused with 429 (the default is 16). */
const INVOKE_CONCURRENCY = 128;
/** The provider's `max_connections`: the one pool every LLM run of the service shares. */
const POOL_LIMIT = 64;
/** ~20 ms per streamed call: 8 content chunks, 2.5 ms apart, then the finish, usage and [DONE]. */
const PACE = { chunkCount: 8, chunkDelayMs: 2.5 };
const MODEL = "mock-model";
const FULL = { durationS: 10, warmupS: 2, llmRuns: 200, llmWarmupRuns: 20 };
const QUICK = { durationS: 3, warmupS: 1, llmRuns: 200, llmWarmupRuns: 20 };
/** Bounds on the waits after the load: LLM runs finishing, webhook runs draining. */
const LLM_WAIT_MS = 60_000;
const DRAIN_WAIT_MS = 30_000;
const POLL_MS = 25;
/** `GET /api/workflows/:id/runs` answers at most this many (newest first). */
const HISTORY_LIMIT = 1000;

function parseArgs(argv) {
  const args = { write: false, quick: false, profileDir: undefined };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--write") args.write = true;
    else if (argv[i] === "--quick") args.quick = true;
    else if (argv[i] === "--profile") {
      args.profileDir = argv[++i];
      if (!args.profileDir) throw new UsageError("--profile needs a folder for the server's .cpuprofile");
    } else throw new UsageError(`unknown argument ${argv[i]}; use --write, --quick and/or --profile DIR`);
  }
  if (args.write && (args.quick || args.profileDir)) throw new UsageError("--write needs the full, unprofiled run: drop --quick and --profile");
  return args;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function expectStatus(what, response, status) {
  if (response.status !== status) throw new Error(`${what}: expected HTTP ${status}, got ${response.status}: ${JSON.stringify(response.body)}`);
  return response.body;
}

function serviceConfig(mockUrl) {
  return {
    provider: { mock: { type: "openai-compatible", options: { baseURL: mockUrl, apiKey: "bench-key", max_connections: POOL_LIMIT, stream: true } } },
    default_models: { llm: { provider_id: "mock", model_id: MODEL } },
    server: { invoke_concurrency: INVOKE_CONCURRENCY },
  };
}

/** `verifyBody` for `/invoke`: a 200 whose run `succeeded` with the expected outputs. */
function invokeBodyCheck(outputsOk) {
  return (text) => {
    try {
      const answer = JSON.parse(text);
      return answer.status === "succeeded" && outputsOk(answer.outputs);
    } catch {
      return false;
    }
  };
}

function webhookBodyCheck(text) {
  try {
    return typeof JSON.parse(text).runId === "string";
  } catch {
    return false;
  }
}

/** Warm-up and measured span on the same connections, with the CPU spent during the span. */
async function timedLoad(server, sizes, options) {
  const load = await runLoad({ ...options, warmupS: sizes.warmupS, durationS: sizes.durationS, meter: () => startCpuCount(server.pid) });
  return { ...load, cpu: load.meter };
}

async function invokeCases(server, published, sizes) {
  const rows = [];
  for (const { spec, label, apiKey } of published) {
    const target = {
      url: `${server.url}/invoke/${spec.id}`,
      headers: { "content-type": "application/json", "x-api-key": apiKey },
      body: JSON.stringify(spec.body),
      verifyBody: invokeBodyCheck(spec.outputsOk),
    };
    for (const connections of INVOKE_CONNECTIONS) {
      progress(`/invoke ${spec.id}: ${connections} connections, ${sizes.warmupS} s warm-up + ${sizes.durationS} s…`);
      rows.push({ label, ...(await timedLoad(server, sizes, { ...target, connections })) });
    }
  }
  return rows;
}

/** Newest runs of a workflow (at most HISTORY_LIMIT), from the public history route. */
async function history(server, workflowId) {
  return expectStatus("run history", await server.api("GET", `/api/workflows/${workflowId}/runs?limit=${HISTORY_LIMIT}`), 200).runs;
}

/** Polls the history until no run of the workflow is `running` (bounded); the running counts seen. */
async function drainRuns(server, workflowId, timeoutMs) {
  const startedAt = performance.now();
  let first;
  for (;;) {
    const runs = await history(server, workflowId);
    const running = runs.filter((r) => r.status === "running").length;
    first ??= { running, saturated: runs.length === HISTORY_LIMIT && running === HISTORY_LIMIT };
    const elapsedMs = performance.now() - startedAt;
    if (running === 0) return { first, drainMs: elapsedMs, runs };
    if (elapsedMs > timeoutMs) throw new Error(`${workflowId}: ${running} runs still running ${timeoutMs} ms after the load stopped`);
    await sleep(POLL_MS);
  }
}

async function webhookCases(server, sizes) {
  const rows = [];
  const target = {
    url: `${server.url}/webhook/${WEBHOOK_BRANCH.id}/${WEBHOOK_TRIGGER_ID}`,
    headers: { "content-type": "application/json", "x-api-key": WEBHOOK_KEY },
    body: JSON.stringify(WEBHOOK_BRANCH.body),
    verifyBody: webhookBodyCheck,
  };
  for (const connections of WEBHOOK_CONNECTIONS) {
    progress(`webhook: ${connections} connections, ${sizes.warmupS} s warm-up + ${sizes.durationS} s…`);
    const load = await timedLoad(server, sizes, { ...target, connections });
    const drain = await drainRuns(server, WEBHOOK_BRANCH.id, DRAIN_WAIT_MS);
    const retained = drain.runs;
    rows.push({
      ...load,
      runningAtEnd: drain.first.running,
      runningSaturated: drain.first.saturated,
      drainMs: drain.drainMs,
      retained: retained.length,
      retainedNotSucceeded: retained.filter((r) => r.status !== "succeeded").length,
    });
  }
  return rows;
}

/** Sum of the store's files (`flockflow.db`, `-wal`, `-shm`) in the data folder. */
function storeBytes(dataDir) {
  let bytes = 0;
  for (const name of readdirSync(dataDir)) if (name.startsWith("flockflow.db")) bytes += statSync(path.join(dataDir, name)).size;
  return bytes;
}

/**
 * `count` runs of the LLM workflow started at once with `POST /api/workflows/:id/runs` (202 each),
 * then awaited by polling the history (bounded). Checks every run's status and final answer.
 */
async function llmBurst(server, count, firstN) {
  const startedAt = performance.now();
  const started = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const n = firstN + i;
      const body = expectStatus("start an LLM run", await server.api("POST", `/api/workflows/${LLM_CHAIN.id}/runs`, { inputs: { n } }), 202);
      return [body.runId, n];
    }),
  );
  const startedMs = performance.now() - startedAt;
  const wanted = new Map(started);
  for (;;) {
    const runs = (await history(server, LLM_CHAIN.id)).filter((r) => wanted.has(r.runId));
    if (runs.length === wanted.size && runs.every((r) => r.status !== "running")) {
      for (const run of runs) {
        if (run.status !== "succeeded" || run.outputs?.second !== LLM_CHAIN.expectedSecond(wanted.get(run.runId), MODEL)) {
          throw new Error(`LLM run ${run.runId}: ${run.status}, ${run.error ?? JSON.stringify(run.outputs)}`);
        }
      }
      return { runs, startedMs, clientMs: performance.now() - startedAt };
    }
    if (performance.now() - startedAt > LLM_WAIT_MS) throw new Error(`LLM runs: not all ${wanted.size} finished within ${LLM_WAIT_MS} ms`);
    await sleep(POLL_MS);
  }
}

/**
 * A warm-up burst, then the measured one, on the fresh server. The mock's counters start before
 * the warm-up, so the connections it saw opened are every connection the service's pool ever
 * opened. The server's RSS is sampled every few ms during the measured burst.
 */
async function llmCase(server, mock, sizes) {
  await mock.reset();
  const idle = server.memory();
  await llmBurst(server, sizes.llmWarmupRuns, 0);
  const warm = server.memory();
  let peakRssBytes = warm?.rssBytes ?? Number.NaN;
  const sampler = setInterval(() => {
    const m = server.memory();
    if (m && m.rssBytes > peakRssBytes) peakRssBytes = m.rssBytes;
  }, 5);
  const cpu = startCpuCount(server.pid);
  let burst;
  try {
    burst = await llmBurst(server, sizes.llmRuns, sizes.llmWarmupRuns);
  } finally {
    clearInterval(sampler);
  }
  const cpuMs = cpu.stop();
  const atEnd = server.memory();
  await sleep(1000);
  const settled = server.memory();
  const stats = await mock.stats();

  const expectedCalls = (sizes.llmWarmupRuns + sizes.llmRuns) * LLM_CHAIN.callsPerRun;
  if (stats.requests !== expectedCalls) throw new Error(`LLM runs: the mock saw ${stats.requests} calls, expected ${expectedCalls}`);
  const firstStart = Math.min(...burst.runs.map((r) => Date.parse(r.startedAt)));
  const lastFinish = Math.max(...burst.runs.map((r) => Date.parse(r.finishedAt)));
  return {
    runs: sizes.llmRuns,
    warmupRuns: sizes.llmWarmupRuns,
    calls: sizes.llmRuns * LLM_CHAIN.callsPerRun,
    startAllMs: burst.startedMs,
    clientMs: burst.clientMs,
    serverSpanMs: lastFinish - firstStart,
    runDurationMaxMs: Math.max(...burst.runs.map((r) => r.durationMs)),
    connectionsOpened: stats.connectionsOpened,
    peakInFlight: stats.peakInFlight,
    poolLimit: POOL_LIMIT,
    cpu: cpuMs,
    rssIdleBytes: idle?.rssBytes,
    rssWarmBytes: warm?.rssBytes,
    rssPeakBytes: peakRssBytes,
    rssAtEndBytes: atEnd?.rssBytes,
    rssSettledBytes: settled?.rssBytes,
  };
}

function describeMachine({ loadBefore, durationS, quick }) {
  const version = (name) => JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url), "utf8")).version;
  return benchMachine({ quick, loadBefore, durationS, modeText: "**Quick run** (`--quick`): shorter load than the full run.", extra: { autocannon: version("autocannon") } });
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const sizes = args.quick ? QUICK : FULL;
  const startedAt = performance.now();
  const loadBefore = os.loadavg()[0];
  const dir = mkdtempSync(path.join(os.tmpdir(), "ff-bench-service-"));
  const dataDir = path.join(dir, "data");
  const workflowsDir = path.join(dir, "workflows");
  const home = path.join(dir, "home");
  for (const folder of [dataDir, workflowsDir, home]) mkdirSync(folder, { recursive: true });
  const nodeArgs = args.profileDir ? ["--cpu-prof", `--cpu-prof-dir=${path.resolve(args.profileDir)}`] : [];

  let mock;
  let server;
  let results;
  try {
    mock = await spawnMockLlm([{ behavior: PACE }], { dir });
    const configFile = path.join(dir, "flockflow.json");
    writeFileSync(configFile, JSON.stringify(serviceConfig(mock.url), null, 2));
    server = await spawnServer({ dataDir, workflowsDir, configFile, home, nodeArgs });
    progress(`server pid ${server.pid} at ${server.url}; mock at ${mock.url}`);

    for (const spec of [INVOKE_BRANCH, INVOKE_JAVASCRIPT, WEBHOOK_BRANCH, LLM_CHAIN]) {
      expectStatus(`save ${spec.id}`, await server.api("POST", "/api/workflows", { id: spec.id, workflow: spec.workflow }), 201);
    }
    const published = [];
    for (const [spec, label] of [[INVOKE_BRANCH, "one `branch` node"], [INVOKE_JAVASCRIPT, "one `javascript` node"]]) {
      const { apiKey } = expectStatus(`publish ${spec.id}`, await server.api("POST", `/api/workflows/${spec.id}/publish`), 201);
      published.push({ spec, label, apiKey });
    }

    // First, on the fresh server, so its RSS before, at peak and after is this case's alone.
    progress(`LLM: ${sizes.llmWarmupRuns} runs to warm up, then ${sizes.llmRuns} at once, two streamed calls each, pool of ${POOL_LIMIT}…`);
    const llm = await llmCase(server, mock, sizes);
    const invoke = await invokeCases(server, published, sizes);
    const webhook = await webhookCases(server, sizes);
    const storeWhileServing = storeBytes(dataDir);
    const exit = await server.close();
    server = undefined;
    if (exit.code !== 0) throw new Error(`flockflow serve exited with ${exit.code ?? exit.signal} on SIGTERM`);
    results = { llm, invoke, webhook, store: { whileServing: storeWhileServing, afterShutdown: storeBytes(dataDir) } };
  } finally {
    await server?.close();
    await mock?.close();
    rmSync(dir, { recursive: true, force: true });
  }

  const durationS = (performance.now() - startedAt) / 1000;
  const markdown = renderMarkdown({
    machine: describeMachine({ loadBefore, durationS, quick: args.quick }),
    settings: { invokeConcurrency: INVOKE_CONCURRENCY, poolLimit: POOL_LIMIT, pace: PACE, ...sizes },
    ...results,
    goals: goals(results),
  });
  // The profile summary (stderr) comes before the report, so the run ends with the report and "done in".
  if (args.profileDir) process.stderr.write(`\n${summariseCpuProfiles(path.resolve(args.profileDir))}\n`);
  finishReport({ markdown, write: args.write, writeSection: writeServiceSection, durationS });
}

runBench(main);

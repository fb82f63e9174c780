/**
 * Turns the service bench's results into Markdown, and rewrites the service section of
 * docs/benchmarks.md (between `<!-- service:start -->` and `<!-- service:end -->`). Every other
 * section of the file is left as it is; when the markers are missing, the section's heading, its
 * explanation and the markers are appended at the end.
 */
import { writeDocSection } from "../shared/doc-section.mjs";
import { formatMs, goalTable, loadAverages, measuredOn, table } from "../shared/markdown.mjs";

/** Issue 5's goals. */
export const INVOKE_GOAL_PER_S = 2_000;
export const INVOKE_GOAL_P99_MS = 50;

const count = (n) => n.toLocaleString("en-US");
const mib = (bytes) => (bytes === undefined || Number.isNaN(bytes) ? "–" : `${(bytes / 1024 / 1024).toFixed(1)} MiB`);
const perS = (n) => count(Math.round(n));
const seconds = (ms) => (ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`);

/** Server CPU per answer, all threads (main thread alone). */
function cpuPerAnswer(r) {
  if (r.cpu?.serverMs === undefined || r.responses === 0) return "–";
  const us = (ms) => `${((ms * 1000) / r.responses).toFixed(0)} µs`;
  return `${us(r.cpu.serverMs)} (${us(r.cpu.serverMainMs)})`;
}

/**
 * Cores kept busy during the measured span: by the server, by the load generator (this process),
 * and by everything else on the machine (other work sharing the 2 cores; the mock is idle here).
 */
function coresBusy(r) {
  if (r.cpu?.serverMs === undefined) return "–";
  const spanMs = r.spanS * 1000;
  const others = Math.max(0, r.cpu.machineMs - r.cpu.serverMs - r.cpu.benchMs);
  return `${(r.cpu.serverMs / spanMs).toFixed(2)} / ${(r.cpu.benchMs / spanMs).toFixed(2)} / ${(others / spanMs).toFixed(2)}`;
}

function llmCores(llm) {
  if (llm.cpu.serverMs === undefined) return "–";
  const spanMs = llm.clientMs;
  const others = Math.max(0, llm.cpu.machineMs - llm.cpu.serverMs - llm.cpu.benchMs);
  return `${(llm.cpu.serverMs / spanMs).toFixed(2)} / ${(llm.cpu.benchMs / spanMs).toFixed(2)} / ${(others / spanMs).toFixed(2)}`;
}

/**
 * Requests not answered as the case expects, in the measured span: a body that failed the check
 * (every non-2xx answer fails it too) or a socket error or timeout.
 */
const badAnswers = (r) => r.mismatches + r.errors;
/** The same over the warm-up and the measured span, from autocannon's own counters. */
const badAnswersAll = (r) => r.total.mismatches + r.total.errors;

function bestWithinP99(rows) {
  const within = rows.filter((r) => r.p99Ms <= INVOKE_GOAL_P99_MS && badAnswers(r) === 0);
  return within.sort((a, b) => b.requestsPerS - a.requestsPerS)[0];
}

export function goals({ invoke, webhook, llm }) {
  const out = [];
  for (const label of [...new Set(invoke.map((r) => r.label))]) {
    const rows = invoke.filter((r) => r.label === label);
    const best = bestWithinP99(rows);
    out.push({
      label: `\`/invoke\`, ${label}: most requests/s at a connection count whose p99 ≤ ${INVOKE_GOAL_P99_MS} ms`,
      value: best ? `${perS(best.requestsPerS)}/s (p99 ${formatMs(best.p99Ms)}, ${best.connections} connections)` : `none of ${rows.map((r) => r.connections).join(", ")} connections`,
      goal: `≥ ${count(INVOKE_GOAL_PER_S)}/s`,
      met: best !== undefined && best.requestsPerS >= INVOKE_GOAL_PER_S,
    });
    // The main thread runs HTTP, the engine and the store: one core's worth of it bounds requests/s
    // whatever else shares the machine.
    const leanest = rows.filter((r) => r.cpu?.serverMainMs !== undefined).sort((a, b) => a.cpu.serverMainMs / a.responses - b.cpu.serverMainMs / b.responses)[0];
    if (leanest) {
      const mainUs = (leanest.cpu.serverMainMs * 1000) / leanest.responses;
      out.push({ label: `… ceiling set by the server's main thread alone at its CPU per answer (${mainUs.toFixed(0)} µs, ${leanest.connections} connections), with a core to itself`, value: `${perS(1e6 / mainUs)}/s`, goal: "(information)" });
    }
  }
  const answers = invoke.reduce((n, r) => n + r.responses, 0);
  const bad = invoke.reduce((n, r) => n + badAnswersAll(r), 0);
  out.push({ label: "`/invoke` requests not answered 200 with a `succeeded` run (all cases, warm-ups included)", value: `${count(bad)} (of ${count(answers)} measured)`, goal: "0", met: bad === 0 });
  const hooks = webhook.reduce((n, r) => n + r.responses, 0);
  const badHooks = webhook.reduce((n, r) => n + badAnswersAll(r), 0);
  out.push({ label: "webhook requests not answered 202 with a run id (warm-ups included)", value: `${count(badHooks)} (of ${count(hooks)} measured)`, goal: "0", met: badHooks === 0 });
  out.push({ label: `${llm.runs} LLM runs: TCP connections the mock saw opened`, value: String(llm.connectionsOpened), goal: `≤ ${llm.poolLimit} (the provider's \`max_connections\`)`, met: llm.connectionsOpened <= llm.poolLimit });
  out.push({ label: `${llm.runs} LLM runs: most calls in flight at the mock`, value: String(llm.peakInFlight), goal: `≤ ${llm.poolLimit}`, met: llm.peakInFlight <= llm.poolLimit });
  return out;
}

/**
 * `invoke`: { label, connections, requestsPerS, p50Ms, p99Ms, maxMs, responses, statusCounts, non2xx, mismatches, errors, timeouts }
 * `webhook`: the same, plus { accepted, runningAtEnd, runningSaturated, drainMs, retained, retainedNotSucceeded }
 * `llm`: see llmCase in run.mjs; `store`: { whileServing, afterShutdown } in bytes.
 */
export function renderMarkdown({ machine, settings, invoke, webhook, llm, store, goals }) {
  const statuses = (r) => Object.entries(r.statusCounts).map(([code, n]) => `${code}: ${count(n)}`).join(", ") || "none";
  const lines = [
    `${measuredOn(machine)}, autocannon ${machine.autocannon}. ` +
      "`flockflow serve` and the mock LLM each run in a child process; **autocannon runs in the bench process and shares the 2 cores with the server**, " +
      "so the server has less than the whole machine and these numbers understate what it does with 2 cores to itself. " +
      `${machine.mode ? `${machine.mode} ` : ""}${loadAverages(machine)}; the run took ${machine.durationS} s.`,
    "",
    `Service config: \`server.invoke_concurrency: ${settings.invokeConcurrency}\` (default 16; raised so that no call at 64 connections is refused with 429), ` +
      `retention and everything else at their defaults; provider \`max_connections: ${settings.poolLimit}\`. Each case: ${settings.warmupS} s warm-up, then ${settings.durationS} s of load.`,
    "",
    ...table(
      ["`POST /invoke/:id`", "Connections", "Requests/s", "p50", "p99", "max", "Answers", "Not 200 `succeeded`", "Socket errors", "Server CPU per answer (main thread)", "Cores busy: server / autocannon / rest of the machine"],
      ["---", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:"],
      invoke.map((r) => [
        r.label,
        String(r.connections),
        perS(r.requestsPerS),
        formatMs(r.p50Ms),
        formatMs(r.p99Ms),
        formatMs(r.maxMs),
        count(r.responses),
        count(r.mismatches),
        count(r.errors),
        cpuPerAnswer(r),
        coresBusy(r),
      ]),
    ),
    "",
    ...table(
      ["`POST /webhook/:workflowId/:triggerId`", "Connections", "202/s", "p50", "p99", "max", "Answers", "Runs still running when the load stopped", "… all finished after", "Runs kept (not `succeeded`)", "Server CPU per answer (main thread)", "Cores busy: server / autocannon / rest of the machine"],
      ["---", "---:", "---:", "---:", "---:", "---:", "---", "---:", "---:", "---:", "---:", "---:"],
      webhook.map((r) => [
        "`api_key` trigger, one `branch` node",
        String(r.connections),
        perS(r.requestsPerS),
        formatMs(r.p50Ms),
        formatMs(r.p99Ms),
        formatMs(r.maxMs),
        `${statuses(r)}${r.mismatches ? `; ${count(r.mismatches)} bad bodies` : ""}${r.errors ? `; ${count(r.errors)} socket errors` : ""}`,
        `${r.runningSaturated ? "≥ " : ""}${count(r.runningAtEnd)}`,
        seconds(r.drainMs),
        `${count(r.retained)} (${count(r.retainedNotSucceeded)})`,
        cpuPerAnswer(r),
        coresBusy(r),
      ]),
    ),
    "",
    `Run store after the whole run (every case above; retention keeps the newest 200 finished runs per workflow): ${mib(store.whileServing)} while serving ` +
      `(\`flockflow.db\` with its WAL), ${mib(store.afterShutdown)} after the graceful shutdown.`,
    "",
    ...table(
      [`${llm.runs} runs at once of two \`llm\` nodes (${llm.calls} streamed calls), started with \`POST /api/workflows/:id/runs\` after ${llm.warmupRuns} warm-up runs`, "Value"],
      ["---", "---:"],
      [
        ["all 202 answers in (runs recorded and started)", seconds(llm.startAllMs)],
        ["all runs finished, as the polling client saw it", seconds(llm.clientMs)],
        ["first run started → last run finished (run records)", seconds(llm.serverSpanMs)],
        ["longest single run", seconds(llm.runDurationMaxMs)],
        [`TCP connections the mock saw opened, warm-up included (provider \`max_connections: ${llm.poolLimit}\`)`, String(llm.connectionsOpened)],
        ["most calls in flight at the mock", String(llm.peakInFlight)],
        ["server CPU for the burst, all threads (main thread)", llm.cpu.serverMs === undefined ? "–" : `${llm.cpu.serverMs.toFixed(0)} ms (${llm.cpu.serverMainMs.toFixed(0)} ms)`],
        ["cores busy during the burst: server / bench process / rest of the machine (the mock, other work)", llmCores(llm)],
        ["server RSS: fresh and idle / after the warm-up", `${mib(llm.rssIdleBytes)} / ${mib(llm.rssWarmBytes)}`],
        ["server RSS at peak (sampled every 5 ms)", mib(llm.rssPeakBytes)],
        ["server RSS when all had finished / 1 s later", `${mib(llm.rssAtEndBytes)} / ${mib(llm.rssSettledBytes)}`],
      ],
    ),
    "",
    ...goalTable("Goal (issue 5, from this run)", goals),
  ];
  return lines.join("\n");
}

const SECTION_INTRO = `## HTTP service

\`bench/service/run.mjs\` starts \`flockflow serve\` (\`node bin/flockflow.js serve --port 0\`) and
\`flockflow mock-llm\` as child processes, saves and publishes its workflows through the API, and
drives the service with autocannon from the bench process over loopback. Run it from the
repository root:

\`\`\`sh
npm run build && npm install --prefix bench && node bench/service/run.mjs --write
\`\`\`

\`--write\` rewrites the section between the markers below; \`--quick\` makes a shorter run;
\`--profile DIR\` runs the server under \`node --cpu-prof\` and prints where its time went.
\`bench/README.md\` describes each case.

What the numbers mean:

- **\`/invoke\`**: N keep-alive connections, each sending its next \`POST /invoke/:id\` (with the
  workflow's key) as soon as the last answer is in. One autocannon run per row: a warm-up, then
  the measured span on the same connections; requests/s is the answers in the span over its
  length, p50/p99/max are per request. Every answer must be a 200 whose run \`succeeded\` with the
  expected outputs. Each call records a run (row, step, events, final record, retention trim) in
  SQLite before it answers.
- **Server CPU per answer**: the server process's CPU time over the span (all threads; its main
  thread, which runs HTTP, the engine and the store, in brackets) divided by the answers. Unlike
  requests/s it hardly moves when other work shares the cores. **Cores busy** splits the machine's
  busy time over the span: the server, autocannon (the bench process), and everything else.
- **Webhook**: the same loop on \`POST /webhook/:workflowId/:triggerId\` with an \`api_key\`
  trigger. The service answers 202 once the run is recorded and started; the run finishes after
  the answer, so the table also shows how many runs were still running when the load stopped and
  how long they took to finish.
- **LLM runs**: that many runs started at once, each two streamed calls to the mock (8 chunks,
  2.5 ms apart: ~20 ms a call), all through the provider's one connection pool; awaited by polling
  the run history. Connections and calls in flight are counted by the mock; RSS is the server
  process's \`VmRSS\` from \`/proc\`.

The load generator and the server share the machine's 2 cores, so requests/s is a floor.

`;

/** Replace (or add) the service section of the doc. */
export function writeServiceSection(docPath, markdown) {
  writeDocSection(docPath, "service", markdown, { intro: SECTION_INTRO });
}

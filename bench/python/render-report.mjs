/**
 * Turns the Python bench's results into Markdown, works out the bridge's overhead per call and the
 * goals of issue 4, and rewrites the Python section of docs/benchmarks.md (between
 * `<!-- python:start -->` and `<!-- python:end -->`). The other sections and everything else in the
 * file are left as they are; when the markers are missing, the section's heading, its explanation
 * and the markers are appended at the end.
 */
import { writeDocSection } from "../shared/doc-section.mjs";
import { formatMs, goalTable, loadAverages, measuredOn, referenceTable, table } from "../shared/markdown.mjs";

/** Issue 4's "for scale" figures, measured earlier on this machine; never re-measured here. */
export const FLOCKS_TRIAGE_RUNS_PER_S = [26, 30];
export const REFERENCE_FIGURES = [
  ["Flocks (its own engine): `tdp_alert_triage_fixed`, one at a time or 8 at a time", `${FLOCKS_TRIAGE_RUNS_PER_S.join("–")} runs/s`],
  ["Flocks: in-process Python node with its default node timeout", "~80 µs per node"],
  ["Flocks (Python) `LLMClient.ask`", "~40 calls/s"],
];
const EMPTY_PYTHON_GOAL_MS = 0.25;
const TRIAGE_GOAL_FACTOR = 10;

const LANGUAGE_LABEL = { javascript: "JavaScript", python: "Python" };

/**
 * The bridge's cost per `llm.ask`, from medians: a node making one call, less the empty node, less
 * the same call made directly; and over 100 calls in one node, (run − empty node) / 100 less the
 * direct call's time per call in a loop of 100.
 */
export function bridgeOverheads(byKey, loopCalls) {
  return ["javascript", "python"]
    .filter((language) => byKey[`${language}.ask`] && byKey[`${language}.empty`] && byKey["direct.ask"])
    .map((language) => {
      const ask = byKey[`${language}.ask`].stats.medianMs;
      const empty = byKey[`${language}.empty`].stats.medianMs;
      const direct = byKey["direct.ask"].stats.medianMs;
      const loopPerCall = byKey[`${language}.loop`].stats.medianMs - empty / loopCalls;
      const directLoop = byKey["direct.loop"].stats.medianMs;
      return { language, ask, empty, direct, once: ask - empty - direct, loopPerCall, directLoop, amortised: loopPerCall - directLoop };
    });
}

export function goals(byKey, triage) {
  const out = [];
  const python = byKey["python.empty"];
  const javascript = byKey["javascript.empty"];
  if (python) {
    out.push({ label: "warm empty `python` node, 300 s node deadline armed: median per run", value: formatMs(python.stats.medianMs), goal: `≤ ${formatMs(EMPTY_PYTHON_GOAL_MS)}`, met: python.stats.medianMs <= EMPTY_PYTHON_GOAL_MS });
    out.push({ label: "… p99 per run", value: formatMs(python.stats.p99Ms), goal: "(information)" });
    if (javascript) out.push({ label: "warm empty `python` node / warm empty `javascript` node (medians)", value: `${(python.stats.medianMs / javascript.stats.medianMs).toFixed(2)}×`, goal: "(information)" });
    out.push({ label: "warm empty `python` node / Flocks' in-process Python node with its timeout (~80 µs)", value: `${(python.stats.medianMs / 0.08).toFixed(1)}×`, goal: "(information)" });
  }
  const [low, high] = FLOCKS_TRIAGE_RUNS_PER_S;
  for (const r of triage?.rows ?? []) {
    const ratio = `${(r.runsPerS / high).toFixed(1)}–${(r.runsPerS / low).toFixed(1)}× Flocks`;
    const met = r.runsPerS >= TRIAGE_GOAL_FACTOR * high ? true : r.runsPerS >= TRIAGE_GOAL_FACTOR * low ? "against 26 runs/s only" : false;
    out.push({ label: `\`tdp_alert_triage_fixed\`, ${r.concurrency === 1 ? "one run at a time" : `${r.concurrency} at a time`}: runs/s`, value: `${r.runsPerS.toFixed(0)} (${ratio})`, goal: `≥ ${TRIAGE_GOAL_FACTOR}× Flocks (≥ ${TRIAGE_GOAL_FACTOR * low}–${TRIAGE_GOAL_FACTOR * high})`, met });
  }
  const parallel = triage?.rows.find((r) => r.concurrency > 1 && r.cpuPerRun);
  if (parallel) {
    const { hostMs, pythonMs, mockMs } = parallel.cpuPerRun;
    const ceiling = (triage.cores * 1000) / (hostMs + pythonMs + mockMs);
    out.push({ label: `\`tdp_alert_triage_fixed\`: the ceiling its CPU per run allows on ${triage.cores} cores (${parallel.concurrency} at a time)`, value: `${ceiling.toFixed(0)} runs/s`, goal: "(information)" });
  }
  if (triage?.skipped) out.push({ label: "`tdp_alert_triage_fixed` runs/s", value: "–", goal: `≥ ${TRIAGE_GOAL_FACTOR}× Flocks`, met: triage.skipped });
  return out;
}

/**
 * `latency`: { label, unit, stats } in the order measured; `byKey` the same by key; `triage`:
 * { rows: { concurrency, runs, runsPerS, p50Ms, p99Ms }, skipped? }; `goals`: { label, value, goal, met }.
 */
export function renderMarkdown({ machine, latency, byKey, triage, goals: goalRows, loopCalls, triageConcurrency, triageWorkers }) {
  const lines = [
    `${measuredOn(machine)}; ` +
      `${machine.python}. Mock LLM (\`flockflow mock-llm\`) in a child process, default reply in one chunk, no delay. ${machine.mode}` +
      `${loadAverages(machine)}; the run took ${machine.durationS} s.`,
    "",
    ...table(
      ["Warm latency (one-node workflow through `runtime.run`)", "Unit", "Median", "p90", "p99", "Samples"],
      ["---", "---", "---:", "---:", "---:", "---:"],
      latency.map((r) => [r.label, r.unit, formatMs(r.stats.medianMs), formatMs(r.stats.p90Ms), formatMs(r.stats.p99Ms), String(r.stats.runs)]),
    ),
    "",
    ...table(
      ["Bridge overhead per `llm.ask` (medians)", "Node with one call", "− empty node", "− direct call", "= overhead, one call", `In a loop of ${loopCalls}: per call`, "− direct, per call in a loop", "= overhead per call, amortised"],
      ["---", "---:", "---:", "---:", "---:", "---:", "---:", "---:"],
      bridgeOverheads(byKey, loopCalls).map((b) => [LANGUAGE_LABEL[b.language], ...[b.ask, b.empty, b.direct, b.once, b.loopPerCall, b.directLoop, b.amortised].map(formatMs)]),
    ),
    "",
  ];
  if (triage?.rows.length) {
    lines.push(
      ...table(
        [`\`tdp_alert_triage_fixed\` end to end (stub tools, mock LLM, \`python.max_workers: ${triageWorkers}\`)`, "Runs", "Runs/s", "p50 per run", "p99 per run", "CPU per run: host", "Python workers", "mock", "all"],
        ["---", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:"],
        triage.rows.map((r) => {
          const cpu = r.cpuPerRun;
          const cpuCells = cpu ? [cpu.hostMs, cpu.pythonMs, cpu.mockMs, cpu.hostMs + cpu.pythonMs + cpu.mockMs].map(formatMs) : ["–", "–", "–", "–"];
          return [r.concurrency === 1 ? "one run at a time" : `${r.concurrency} at a time (closed loop of ${triageConcurrency} lanes)`, String(r.runs), r.runsPerS.toFixed(0), formatMs(r.p50Ms), formatMs(r.p99Ms), ...cpuCells];
        }),
      ),
      "",
    );
  } else if (triage?.skipped) {
    lines.push(`\`tdp_alert_triage_fixed\`: ${triage.skipped}.`, "");
  }
  lines.push(
    ...goalTable("Goal (issue 4, from this run)", goalRows),
    "",
    ...referenceTable("Reference figures (issue 4 \"for scale\"; measured earlier on this machine, not in this run)", REFERENCE_FIGURES),
  );
  return lines.join("\n");
}

const SECTION_INTRO = `## Python nodes

\`bench/python/run.mjs\` measures \`python\` code nodes next to \`javascript\` nodes doing the same
work, the bridge that serves their \`llm.ask\` calls, and Flocks' shipped \`tdp_alert_triage_fixed\`
end to end. The mock LLM runs as \`flockflow mock-llm\` in a child process. Run it from the
repository root:

\`\`\`sh
npm run build && node bench/python/run.mjs --write
\`\`\`

\`--write\` rewrites the section between the markers below; \`--quick\` makes a smaller run.
\`bench/README.md\` says how each number is taken.

What the numbers mean:

- **Warm latency**: a one-node workflow run through \`runtime.run\` again and again on a warm worker
  (a thread for JavaScript, a \`python3\` process for Python), after warm-up runs. No node sets
  \`timeout_s\`, so the default 300 s node deadline is armed, and for Python a deadline can kill the
  worker's process group. The rows with the deadline off show what arming it costs. The \`branch\`
  row is the engine's own cost per run, with no code.
- **\`llm.ask\`**: the mock answers with its default reply in one chunk, at once. The direct row is
  the same call made on the runtime's \`LlmRuntime\`, with no node. The bridge's overhead is the
  node's time, minus the empty node's, minus the direct call's, all medians. The loop rows run 100
  calls in one node, and the overhead per call is then amortised over the node's own cost.
- **Cold start**: the first Python node of a fresh runtime, which starts the worker process.
- **\`tdp_alert_triage_fixed\`**: six Python nodes, three of them siblings in one parallel batch,
  three \`tool.run_safe\` look-ups, one \`llm.ask\` and one \`tool.run('write', ...)\` per run. The stub
  tools answer at once. Each run must end \`succeeded\` with the verdict the scripted reply gives.
  Runs/s is the number of timed runs over their span. With 8 at a time, 8 lanes each start a run as
  soon as their last one ends. CPU per run is read for this process, the Python workers and the
  mock. It moves less with other load than runs/s, and it sets a ceiling on parallel runs: cores ×
  1000 / (CPU ms per run, all processes).

The reference figures were measured earlier on this machine (issue 4) and are not re-measured.

`;

/** Replace (or add) the Python section of the doc. */
export function writePythonSection(docPath, markdown) {
  writeDocSection(docPath, "python", markdown, { intro: SECTION_INTRO });
}

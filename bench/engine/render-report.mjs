/**
 * Turns the bench results into Markdown, and rewrites the engine section of docs/benchmarks.md
 * (between `<!-- engine:start -->` and `<!-- engine:end -->`), leaving the rest of the file alone.
 */
import { writeDocSection } from "../shared/doc-section.mjs";
import { formatMs, goalTable, loadAverages, measuredOn, referenceTable, table } from "../shared/markdown.mjs";

/** Figures from issue 2, measured earlier on this machine; never re-measured by this bench. */
export const REFERENCE_FIGURES = [
  ["Flocks (Python engine): `branch` node", "9.9 µs per node"],
  ["Flocks: in-process Python node", "29 µs per node"],
  ["Flocks: Python node with a node timeout set (its default)", "~80 µs per node"],
  ["LangGraph.js 1.7: 1,000-node chain", "~650 µs per node"],
];

/**
 * `rows`: { label, stats, unit, goal? } where stats come from `summarise` and `unit` names what
 * one sample is ("per node", "per run"). `ratios`: { label, value, goal, met }.
 */
export function renderMarkdown({ machine, rows, ratios }) {
  const lines = [
    `${measuredOn(machine)}, LangGraph.js ${machine.langgraph} with @langchain/core ${machine.langchainCore}` +
      `${machine.gcExposed ? "; GC before each bench's warm-up (`--expose-gc`)" : ""}; ` +
      `${loadAverages(machine)} ` +
      "(anything well above 0 means other work shared the 2 cores and the numbers are noisier).",
    "",
    ...table(
      ["Benchmark", "Unit", "Median", "p90", "p99", "Runs", "Goal"],
      ["---", "---", "---:", "---:", "---:", "---:", "---"],
      rows.map((r) => [r.label, r.unit, formatMs(r.stats.medianMs), formatMs(r.stats.p90Ms), r.showP99 ? formatMs(r.stats.p99Ms) : "–", String(r.stats.runs), r.goal ?? ""]),
    ),
    "",
    ...goalTable("Ratio / goal (from this run)", ratios),
    "",
    ...referenceTable("Reference figures (issue 2; measured earlier on this machine, not in this run)", REFERENCE_FIGURES),
  ];
  return lines.join("\n");
}

const DOC_INTRO = `# Benchmarks

## Engine

\`bench/engine/run.mjs\` measures flockflow's engine and, in the same process and run, LangGraph.js
on the same graph shapes. Run it from the repository root:

\`\`\`sh
npm run build && npm install --prefix bench && node bench/engine/run.mjs --write
\`\`\`

\`--write\` rewrites the section between the markers below; without it the table only goes to
stdout. Add \`--expose-gc\` after \`node\` to collect garbage before each bench's warm-up.
See \`bench/README.md\` for running one bench at a time.

What the numbers mean (every run goes through the public API, \`runtime.run\`, and so includes
validation of options and the lint \`run\` does; each run's status is asserted to be \`succeeded\`):

- **branch chain, per node**: a 1,000-node chain of \`branch\` nodes (no code); one whole run timed
  and divided by 1,000, after warm-up runs. History mode \`summary\` (the default), no \`onEvent\`.
  This is the engine's own per-node overhead: batching, routing, payload merge, step record.
- **JavaScript chain, per node**: a 1,000-node chain of \`javascript\` nodes running
  \`outputs.i = (inputs.i ?? 0) + 1\`, with the default 300 s node deadline enforced (a timer and an
  abort controller per node), on a warm worker pool. The run must end with \`i = 1000\`. The row
  with the deadline off (\`nodeTimeoutS: 0\`) shows what the deadline itself costs.
- **fan-out**: \`start\` → 100 siblings (\`branch\`, or trivial \`javascript\`) → one \`join: true\`
  node; 102 steps, default \`max_parallel\` 4. Time per whole run.
- **warm JavaScript node**: a one-node workflow with the trivial \`javascript\` node, run thousands
  of times back to back after warm-up: the latency a caller sees per run.
- **LangGraph.js chain, per step**: a \`StateGraph\` of 1,000 sequential nodes, each returning
  \`{ count: state.count + 1 }\`, compiled once and invoked (\`recursionLimit\` above 1,000); time
  per invoke divided by 1,000.
- **LangGraph.js fan-out**: \`start\` → 100 nodes by static edges (one superstep) → \`join\`, which
  waits for all of them via \`addEdge([...names], "join")\`. Time per invoke.
- **Ratios**: flockflow's per-\`branch\`-node time over LangGraph.js's per-step time (goal ≤ 1/50),
  and the per-node goals of issue 2 (≤ 5 µs per no-code node, ≤ 60 µs per warm JavaScript node
  with its deadline enforced).

The reference figures were measured earlier on this machine (issue 2) and are not re-measured.

`;

/** Replace (or add) the engine section of the doc; creates the doc with its intro when missing. */
export function writeEngineSection(docPath, markdown) {
  writeDocSection(docPath, "engine", markdown, { newDoc: `${DOC_INTRO}<!-- engine:start -->\n<!-- engine:end -->\n` });
}

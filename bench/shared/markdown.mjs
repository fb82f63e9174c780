// The Markdown pieces every benchmark report is made of: durations, table rows, whole tables, the
// goal and reference-figure tables, and the opening words of the machine line.

/** A duration in ms as µs below 1 ms, with two decimals below 100 ms, whole ms above. */
export function formatMs(ms) {
  if (ms < 1) return `${(ms * 1000).toFixed(ms < 0.01 ? 2 : 1)} µs`;
  if (ms < 100) return `${ms.toFixed(2)} ms`;
  return `${ms.toFixed(0)} ms`;
}

/** One table row. */
export const row = (cells) => `| ${cells.join(" | ")} |`;

/** A goal's "Met" cell: empty when the row has no goal to meet, `yes`, `**no**`, or a note as it is. */
export const metCell = (met) => (met === undefined ? "" : met === true ? "yes" : met === false ? "**no**" : met);

/** A table's lines: the header row, the alignment row (`---` or `---:` per column), one line per row of cells. */
export function table(header, alignments, rows) {
  return [row(header), row(alignments), ...rows.map(row)];
}

/** The goals table: `goals` are { label, value, goal, met? }. */
export function goalTable(title, goals) {
  return table([title, "Value", "Goal", "Met"], ["---", "---:", "---", "---"], goals.map((g) => [g.label, g.value, g.goal, metCell(g.met)]));
}

/** Figures measured earlier and never re-measured: `figures` are [label, value] pairs. */
export function referenceTable(title, figures) {
  return table([title, "Value"], ["---", "---:"], figures);
}

/** The start of every report's machine line: "Measured DATE with Node V on CPU (N cores), flockflow COMMIT". */
export const measuredOn = (machine) => `Measured ${machine.date} with Node ${machine.node} on ${machine.cpu} (${machine.cores} cores), flockflow ${machine.commit}`;

/** "1-minute load average X before the run, Y after", from `benchMachine`'s fields. */
export const loadAverages = (machine) => `1-minute load average ${machine.loadBefore.toFixed(2)} before the run, ${machine.loadAfter.toFixed(2)} after`;

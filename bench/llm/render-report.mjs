/**
 * Turns the LLM bench's results into Markdown, and rewrites the LLM section of docs/benchmarks.md
 * (between `<!-- llm:start -->` and `<!-- llm:end -->`). The engine section and everything else in
 * the file are left as they are; when the markers are missing, the section's heading, its
 * explanation and the markers are appended at the end.
 */
import { writeDocSection } from "../shared/doc-section.mjs";
import { formatMs, goalTable, loadAverages, measuredOn, referenceTable, table } from "../shared/markdown.mjs";

/** Issue 3's "for scale" figures, measured earlier on this machine; never re-measured here. */
export const REFERENCE_FIGURES = [
  ["raw undici, 64 connections, concurrency 64, mock at ~21 ms per streamed call", "~2,800 calls/s"],
  ["openai@6 at concurrency 64 / raw undici", "~0.73, ~112 connections"],
  ["ai@6 at concurrency 64 / raw undici", "~0.16–0.20, ~125 connections"],
  ["abort → server sees the socket close, p99 (raw undici, openai@6, ai@6)", "2–6 ms"],
  ["openai@6 and ai@6: a cancelled stream", "ends silently (looks like success)"],
  ["openai@6: listeners left on a shared signal", "one per call"],
  ["Flocks (Python) `LLMClient.ask`: throughput at any concurrency", "~40 calls/s"],
  ["Flocks: TCP connections", "one per call"],
  ["Flocks: cancel → socket closed", "39 ms p50, 96 ms max"],
];

const ms = (value) => (value === undefined ? "–" : formatMs(value));
const ratio = (value) => (value === undefined ? "–" : `${value.toFixed(2)}×`);

/**
 * `throughput`: { label, concurrency, callsPerS, vsUndici, p50Ms, p99Ms, cpuPerCallUs, connectionsOpened, calls, warnings }
 * `cancels`: { label, serverP50Ms, serverP99Ms, serverMaxMs, settleP50Ms, settleP99Ms, outcome, count, missing }
 * `listeners`: { label, calls, listeners, listenersAfterGc, warnings }
 * `goals`: { label, value, goal, met }
 */
export function renderMarkdown({ machine, throughput, cancels, listeners, goals }) {
  const lines = [
    `${measuredOn(machine)} ` +
      `(undici ${machine.flockflowUndici}); ${machine.versions}. Mock LLM in a child process, ${machine.pacing}; ` +
      `${machine.clockSync}. ${machine.mode} ` +
      `${loadAverages(machine)}; the run took ${machine.durationS} s.`,
    "",
    ...table(
      ["Streamed calls", "Concurrency", "Calls/s", "× raw undici", "p50", "p99", "Client CPU per call", "TCP connections opened", "Calls", "Node warnings"],
      ["---", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---"],
      throughput.map((t) => [t.label, String(t.concurrency), t.callsPerS.toFixed(0), ratio(t.vsUndici), ms(t.p50Ms), ms(t.p99Ms), `${t.cpuPerCallUs.toFixed(0)} µs`, String(t.connectionsOpened), String(t.calls), t.warnings || "none"]),
    ),
    "",
    ...table(
      ["Cancel of a stalled stream", "abort → server sees close, p50", "p99", "max", "abort → call settles, p50", "p99", "How the cancelled call ends", "Cancels"],
      ["---", "---:", "---:", "---:", "---:", "---:", "---", "---:"],
      cancels.map((c) => [c.label, ms(c.serverP50Ms), ms(c.serverP99Ms), ms(c.serverMaxMs), ms(c.settleP50Ms), ms(c.settleP99Ms), c.outcome, c.missing > 0 ? `${c.count} (${c.missing} never seen closing)` : String(c.count)]),
    ),
    "",
    ...table(
      ["One long-lived AbortSignal passed to every call", "Calls", "`abort` listeners left on it", "… after a full GC", "Node warnings during the case"],
      ["---", "---:", "---:", "---:", "---"],
      listeners.map((l) => [l.label, String(l.calls), String(l.listeners), String(l.listenersAfterGc), l.warnings || "none"]),
    ),
    "",
    ...goalTable("Goal (issue 3, from this run)", goals),
    "",
    ...referenceTable("Reference figures (issue 3 \"for scale\"; measured earlier on this machine, not in this run)", REFERENCE_FIGURES),
  ];
  return lines.join("\n");
}

const SECTION_INTRO = `## LLM calls

\`bench/llm/run.mjs\` makes the same streamed Chat Completions calls through five clients against
flockflow's mock LLM server, which runs in a child process so that client and server do not share
an event loop. Run it from the repository root:

\`\`\`sh
npm run build && npm install --prefix bench && node bench/llm/run.mjs --write
\`\`\`

\`--write\` rewrites the section between the markers below; \`--quick\` makes a smaller run.
\`bench/README.md\` describes each client and how each number is taken.

What the numbers mean:

- **Clients**: raw \`undici.request\` on an \`Agent({ connections: 64 })\` reading the SSE body to its
  end (the floor); flockflow's \`LlmRuntime.ask\` (provider \`max_connections: 64\`, deadlines armed);
  the same calls from a \`javascript\` node (\`await llm.askAsync(...)\`, K in flight inside one run,
  \`metadata.llm.concurrency\` = K); \`openai@6\` streaming; \`ai@6\` \`streamText\` with
  \`@ai-sdk/openai@3\`. Each case opens a fresh client, so its connection pool starts empty.
- **Throughput and latency**: at concurrency K, K lanes each start a call as soon as their last one
  is answered; after warm-up (1,000 calls per client before the first case, then max(20, 2K) per
  case), 2,000 timed calls. Latency is per call, start to end of stream
  (inside the JavaScript node: \`Date.now()\`, 1 ms resolution). The mock sends 8 content chunks
  2.5 ms apart, about 16–20 ms per call with nothing else in flight.
- **Client CPU per call**: CPU time of the bench process (all its threads, the JavaScript node's
  worker included) over the timed calls, divided by 2,000: each client's own cost per call. At
  concurrency 64 client and mock share the 2 cores, so calls/s follows from both processes' CPU per
  call. Other work on the machine moves both columns (a busy run halved calls/s and doubled CPU per
  call), so compare clients within one run and read the load average above the tables.
- **TCP connections opened**: counted by the server, from the fresh client's first call to its last.
- **Cancel**: a stream that stalls after two chunks is aborted once both reached the client; the time
  runs from \`abort()\` (for the JavaScript node, the abort of the run's signal) to the server's
  record of the client closing, converted to the client's clock with an offset measured over IPC.
  The last column says whether the cancelled call rejects or looks like a success.
- **Listeners**: abort listeners left on one long-lived signal that 2,000 calls (64 at a time) were
  given, right after the last call and again after a forced full GC: Node's \`fetch\`, under both
  SDKs, removes its own listener only when its request object is collected. A
  \`MaxListenersExceededWarning\` means more than 10 listeners sat on one signal at once.

The reference figures were measured earlier on this machine (issue 3) and are not re-measured.

`;

/** Replace (or add) the LLM section of the doc. */
export function writeLlmSection(docPath, markdown) {
  writeDocSection(docPath, "llm", markdown, { intro: SECTION_INTRO });
}

/**
 * Human progress for `run` without `--json` (SPEC §7): one stderr line per node start and finish,
 * LLM retries and fallbacks, lint warnings before the run and a summary after it. Plain text, no
 * colours, so a log file or CI output reads the same as a terminal. stdout stays reserved for the
 * outputs.
 */
import type { EventListener, RunEvent, RunResult } from "../engine/types.js";
import type { ValidationIssue } from "../errors.js";

export interface ProgressPrinter {
  onEvent: EventListener;
  /** Lint warnings before a run: at most a few per kind, so the progress stays readable. */
  warnings(issues: ValidationIssue[], workflowPath: string): void;
  /** `run <runId> <status>: <n> steps in <ms> ms`, then the run error if there is one. */
  summary(result: RunResult, fallbackDurationMs: number): void;
}

const WARNINGS_PER_KIND = 3;

export function createProgressPrinter(stream: NodeJS.WritableStream = process.stderr): ProgressPrinter {
  const line = (text: string): void => {
    stream.write(`${text}\n`);
  };
  let runDurationMs: number | undefined;

  const onEvent = (event: RunEvent): void => {
    switch (event.type) {
      case "node.started":
        line(`▶ ${event.nodeId} (${event.nodeType})`);
        return;
      case "node.finished": {
        const mark = event.status === "succeeded" ? "✓" : "✗";
        const reason = event.error ? `: ${event.error}` : "";
        line(`${mark} ${event.nodeId} ${event.status} ${formatMs(event.durationMs)}${reason}`);
        return;
      }
      case "llm.retry":
        // The engine reports a fallback to the next candidate as an llm.retry with `fallback: true`.
        line(event.fallback === true ? describeFallback(event) : describeRetry(event));
        return;
      case "run.finished":
        runDurationMs = event.durationMs;
        return;
      default:
        // run.started, llm.request and llm.token carry nothing a person needs to read here.
        return;
    }
  };

  return {
    onEvent,
    warnings(issues, workflowPath) {
      const shownPerKind = new Map<string, number>();
      let hidden = 0;
      for (const issue of issues) {
        const shown = shownPerKind.get(issue.rule) ?? 0;
        if (shown >= WARNINGS_PER_KIND) {
          hidden++;
          continue;
        }
        shownPerKind.set(issue.rule, shown + 1);
        line(`warning: ${issue.location}: ${issue.message}`);
      }
      if (hidden > 0) line(`warning: ${hidden} more like these; \`flockflow validate ${workflowPath}\` lists them all`);
    },
    summary(result, fallbackDurationMs) {
      const steps = `${result.steps} ${result.steps === 1 ? "step" : "steps"}`;
      line(`run ${result.runId} ${result.status}: ${steps} in ${formatMs(runDurationMs ?? fallbackDurationMs)}`);
      if (result.error) line(`error: ${result.error}`);
    },
  };
}

function formatMs(ms: number): string {
  return `${Math.round(ms)} ms`;
}

type LlmRetryEvent = Extract<RunEvent, { type: "llm.request" | "llm.retry" | "llm.token" }>;

/**
 * `↻ draft llm retry (attempt 2) on mock/mock-model in 52 ms: HTTP 503: Service Unavailable`.
 * The reason (`ttft timeout`, `HTTP 503`) is shown in brackets unless the error already starts
 * with it. Each part is left out when the LLM layer did not put it on the event.
 */
function describeRetry(event: LlmRetryEvent): string {
  const attempt = typeof event.attempt === "number" ? ` (attempt ${event.attempt})` : "";
  const target = describeTarget(event);
  const wait = typeof event.waitMs === "number" ? ` in ${formatMs(event.waitMs)}` : "";
  const error = typeof event.error === "string" ? event.error : "";
  const reason = typeof event.reason === "string" && event.reason !== "" && !error.startsWith(event.reason) ? ` (${event.reason})` : "";
  return `↻ ${event.nodeId ?? "?"} llm retry${attempt}${target ? ` on ${target}` : ""}${wait}${reason}${error ? `: ${error}` : ""}`;
}

/** `↪ polish llm fallback from mock/bad-model: HTTP 404: Not Found` (`to <target>` when the event names it). */
function describeFallback(event: LlmRetryEvent): string {
  const target = describeTarget(event);
  const to = typeof event.to === "string" ? ` to ${event.to}` : "";
  const error = typeof event.error === "string" ? `: ${event.error}` : "";
  return `↪ ${event.nodeId ?? "?"} llm fallback${target ? ` from ${target}` : ""}${to}${error}`;
}

/** `provider/model`, or whichever half the event carries. */
function describeTarget(event: LlmRetryEvent): string {
  const provider = typeof event.provider === "string" ? event.provider : "";
  const model = typeof event.model === "string" ? event.model : "";
  return provider && model ? `${provider}/${model}` : provider || model;
}

// The command-line side every bench's run.mjs shares: progress lines, bad arguments, the end of a
// run (the report on stdout, the doc section on `--write`) and the exit code.
import { fileURLToPath } from "node:url";

/** The doc whose sections the benches rewrite on `--write`. */
export const BENCHMARKS_DOC = fileURLToPath(new URL("../../docs/benchmarks.md", import.meta.url));

/** A bad command line: reported as one line, without a stack. */
export class UsageError extends Error {
  name = "UsageError";
}

/** A progress line on stderr, so stdout carries the report alone. */
export const progress = (message) => process.stderr.write(`[bench] ${message}\n`);

/**
 * Prints the report on stdout; with `write`, rewrites the bench's section of the doc through
 * `writeSection(docPath, markdown)`; then says how long the run took (`durationS`, in seconds).
 */
export function finishReport({ markdown, write, writeSection, docPath = BENCHMARKS_DOC, durationS }) {
  process.stdout.write(`${markdown}\n`);
  if (write) {
    writeSection(docPath, markdown);
    progress(`wrote ${docPath}`);
  }
  progress(`done in ${durationS.toFixed(1)} s`);
}

/** Runs the bench's `main`; a failure is printed on stderr (a UsageError without its stack) and sets exit code 1. */
export function runBench(main) {
  main().catch((error) => {
    const detail = error instanceof UsageError ? error.message : error instanceof Error ? error.stack : String(error);
    process.stderr.write(`[bench] aborted: ${detail}\n`);
    process.exitCode = 1;
  });
}

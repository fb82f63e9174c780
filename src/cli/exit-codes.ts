/**
 * The CLI's exit codes (SPEC §7): 0 succeeded; 1 failed or timed out; 2 invalid workflow, inputs or
 * usage; 130 cancelled (128 + SIGINT, what shells report for an interrupted command).
 */
import type { RunStatus } from "../engine/types.js";

export const EXIT_OK = 0;
export const EXIT_RUN_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_CANCELLED = 130;

export function exitCodeForStatus(status: RunStatus): number {
  switch (status) {
    case "succeeded":
      return EXIT_OK;
    case "cancelled":
      return EXIT_CANCELLED;
    case "failed":
    case "timed_out":
      return EXIT_RUN_FAILED;
  }
}

// By name, not instanceof (STYLE §2 "Errors"): what the user gave us was wrong, not the run.
const USAGE_ERROR_NAMES = new Set([
  "WorkflowValidationError",
  "WorkflowNotFoundError",
  "InvalidOptionError",
  "ConfigError",
  "ToolModuleError",
]);

/** Exit code for an error that ended a command before it produced a run result. */
export function exitCodeForError(error: unknown): number {
  const name = error instanceof Error ? error.name : "";
  if (name === "RunCancelledError") return EXIT_CANCELLED;
  return USAGE_ERROR_NAMES.has(name) ? EXIT_USAGE : EXIT_RUN_FAILED;
}

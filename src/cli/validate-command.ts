/**
 * `flockflow validate <workflow>`: load, validate and lint without running anything. Valid means
 * `run` would accept it: validation errors and the lint findings that block a run are errors;
 * other findings are warnings and still exit 0.
 */
import type { Command } from "commander";
import type { ValidationIssue } from "../errors.js";
import { isBlockingFinding, lintWorkflow } from "../model/lint-workflow.js";
import { loadWorkflow } from "../model/load-workflow.js";
import type { CommandContext } from "./command-context.js";
import { EXIT_OK, EXIT_USAGE } from "./exit-codes.js";
import { reportError } from "./report-error.js";

export interface ValidateFlags {
  json?: boolean;
}

interface Finding {
  location: string;
  rule: string;
  message: string;
}

export function registerValidateCommand(program: Command, context: CommandContext): void {
  program
    .command("validate")
    .description("check a workflow without running it (exit 0 valid, 2 invalid)")
    .argument("<workflow>", "a workflow.json file, or the folder that holds one")
    .option("--json", 'print {"valid", "errors", "warnings"} on stdout')
    .action(async (workflow: string, flags: ValidateFlags) => {
      context.exitCode = await validateCommand(workflow, flags);
    });
}

export async function validateCommand(workflowPath: string, flags: ValidateFlags): Promise<number> {
  const errors: Finding[] = [];
  const warnings: Finding[] = [];
  try {
    const workflow = await loadWorkflow(workflowPath);
    for (const f of lintWorkflow(workflow)) {
      (isBlockingFinding(f) ? errors : warnings).push({ location: f.location, rule: f.kind, message: f.message });
    }
  } catch (error) {
    const name = error instanceof Error ? error.name : "";
    if (name === "WorkflowValidationError") {
      for (const issue of (error as { issues: ValidationIssue[] }).issues) {
        (issue.severity === "error" ? errors : warnings).push({ location: issue.location, rule: issue.rule, message: issue.message });
      }
    } else if (name === "WorkflowNotFoundError") {
      errors.push({ location: workflowPath, rule: "not_found", message: (error as Error).message });
    } else {
      return reportError(error);
    }
  }

  const valid = errors.length === 0;
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ valid, errors, warnings })}\n`);
  } else {
    for (const e of errors) process.stderr.write(`error: ${e.location}: ${e.message}\n`);
    for (const w of warnings) process.stderr.write(`warning: ${w.location}: ${w.message}\n`);
    if (valid) process.stdout.write(`valid: ${workflowPath}\n`);
    else process.stderr.write(`invalid: ${workflowPath} (${errors.length} ${errors.length === 1 ? "error" : "errors"})\n`);
  }
  return valid ? EXIT_OK : EXIT_USAGE;
}

/**
 * `flockflow validate <workflow>`: load, validate and lint without running anything. Valid means
 * `run` would accept it: validation errors and the lint findings that block a run are errors;
 * other findings are warnings and still exit 0. `metadata.requirements` the Python interpreter cannot
 * import are warnings too: flockflow installs nothing, it only says what is missing.
 */
import type { Command } from "commander";
import { loadConfig } from "../config/load-config.js";
import type { ValidationIssue } from "../errors.js";
import { requirements } from "../model/metadata.js";
import { isBlockingFinding, lintWorkflow } from "../model/lint-workflow.js";
import { loadWorkflow } from "../model/load-workflow.js";
import type { Workflow } from "../model/types.js";
import { checkRequirements, type RequirementStatus } from "../runtime/index.js";
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
    .option("--json", 'print {"valid", "errors", "warnings", "requirements"?} on stdout')
    .action(async (workflow: string, flags: ValidateFlags) => {
      context.exitCode = await validateCommand(workflow, flags);
    });
}

export async function validateCommand(workflowPath: string, flags: ValidateFlags): Promise<number> {
  const errors: Finding[] = [];
  const warnings: Finding[] = [];
  let checked: RequirementStatus[] | undefined;
  try {
    const workflow = await loadWorkflow(workflowPath);
    for (const f of lintWorkflow(workflow)) {
      (isBlockingFinding(f) ? errors : warnings).push({ location: f.location, rule: f.kind, message: f.message });
    }
    checked = await checkWorkflowRequirements(workflow, warnings);
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
    process.stdout.write(`${JSON.stringify({ valid, errors, warnings, ...(checked ? { requirements: checked } : {}) })}\n`);
  } else {
    for (const e of errors) process.stderr.write(`error: ${e.location}: ${e.message}\n`);
    for (const w of warnings) process.stderr.write(`warning: ${w.location}: ${w.message}\n`);
    if (checked) process.stdout.write(`requirements: ${checked.map((r) => `${r.name} (${r.importable ? "ok" : "missing"})`).join(", ")}\n`);
    if (valid) process.stdout.write(`valid: ${workflowPath}\n`);
    else process.stderr.write(`invalid: ${workflowPath} (${errors.length} ${errors.length === 1 ? "error" : "errors"})\n`);
  }
  return valid ? EXIT_OK : EXIT_USAGE;
}

/**
 * The workflow's `metadata.requirements` and whether the configured interpreter can import each;
 * undefined when it lists none. A missing one (or no interpreter) is a warning.
 */
async function checkWorkflowRequirements(workflow: Workflow, warnings: Finding[]): Promise<RequirementStatus[] | undefined> {
  const specs = requirements(workflow);
  if (specs.length === 0) return undefined;
  let executable = "python3";
  try {
    executable = loadConfig().config.python?.executable ?? executable;
  } catch {
    // A broken config is `run`'s problem; validate checks the workflow with the default interpreter.
  }
  try {
    const checked = await checkRequirements(specs, { executable });
    for (const r of checked.filter((c) => !c.importable)) {
      const module = r.module ? ` (module '${r.module}')` : "";
      warnings.push({ location: "metadata.requirements", rule: "requirement_missing", message: `requirement '${r.name}'${module} is not importable by ${executable}; install it for that interpreter` });
    }
    return checked;
  } catch (error) {
    warnings.push({ location: "metadata.requirements", rule: "requirement_missing", message: `cannot check the requirements: ${(error as Error).message}` });
    return specs.map((name) => ({ name, module: "", importable: false }));
  }
}

/**
 * `flockflow run <workflow>` (SPEC §7): run once and exit with the run's status.
 *
 * stdout carries only the result (the outputs, or with `--json` the one result object), so it can
 * be piped; everything for people goes to stderr, and with `--json` a normal run prints nothing
 * there. The runtime is always closed before returning, so the process ends by itself.
 */
import path from "node:path";
import type { Command } from "commander";
import { Option } from "commander";
import { findConfigFile } from "../config/load-config.js";
import type { HistoryMode } from "../engine/types.js";
import { createRuntime, type Runtime } from "../runtime/create-runtime.js";
import { cancelOnSignals } from "./cancel-on-signals.js";
import type { CommandContext } from "./command-context.js";
import { EXIT_CANCELLED, exitCodeForStatus } from "./exit-codes.js";
import { collect, parseNonNegativeSeconds, parsePositiveInteger, parsePositiveSeconds } from "./option-parsers.js";
import { createProgressPrinter } from "./progress.js";
import { readInputs } from "./read-inputs.js";
import { reportError } from "./report-error.js";
import { runResultJson, toJsonText } from "./run-result-json.js";

export interface RunFlags {
  inputs?: string;
  inputsFile?: string;
  config?: string;
  tools: string[];
  workflows: string[];
  timeout?: number;
  nodeTimeout?: number;
  maxParallel?: number;
  history?: HistoryMode;
  json?: boolean;
}

export function registerRunCommand(program: Command, context: CommandContext): void {
  program
    .command("run")
    .description("run a workflow and print its outputs")
    .argument("<workflow>", "a workflow.json file, or the folder that holds one")
    .option("--inputs <json>", "the run's inputs, a JSON object")
    .option("--inputs-file <file>", "read the inputs (a JSON object) from a file")
    .option("--config <file>", "config file (default: $FLOCKFLOW_CONFIG, ./flockflow.json, ~/.flockflow/config.json)")
    .option("--tools <module>", "tools module to load (repeatable)", collect, [])
    .option("--workflows <dir>", "extra folder to look up sub-workflows in (repeatable)", collect, [])
    .option("--timeout <seconds>", "run timeout", parsePositiveSeconds("--timeout"))
    .option("--node-timeout <seconds>", "node timeout unless a node sets timeout_s (0 = none)", parseNonNegativeSeconds("--node-timeout"))
    .option("--max-parallel <n>", "most nodes running at once (default 4)", parsePositiveInteger("--max-parallel"))
    .addOption(new Option("--history <mode>", "step history kept in the result").choices(["full", "summary"]))
    .option("--json", "print one JSON result object on stdout and nothing else")
    .action(async (workflow: string, flags: RunFlags) => {
      context.exitCode = await runCommand(workflow, flags, context);
    });
}

export async function runCommand(workflowPath: string, flags: RunFlags, context: CommandContext): Promise<number> {
  let runtime: Runtime;
  let inputs: Record<string, unknown>;
  try {
    inputs = await readInputs(flags);
    runtime = createRuntime({
      // Discovery (SPEC §6) happens here because createRuntime only reads a config it is given.
      config: flags.config ?? findConfigFile(),
      toolModules: flags.tools,
      workflowDirs: flags.workflows.map((dir) => path.resolve(dir)),
    });
  } catch (error) {
    return reportError(error);
  }

  const progress = flags.json ? undefined : createProgressPrinter();
  const controller = new AbortController();
  const removeSignalHandlers = cancelOnSignals(controller, {
    onCancel: (signal) => {
      if (progress) process.stderr.write(`${signal}: cancelling the run…\n`);
    },
    onForce: () => context.forceExit?.(EXIT_CANCELLED),
  });
  try {
    // Prepared here rather than inside run() so lint warnings can be shown before any progress.
    const { workflow, warnings } = await runtime.prepare(workflowPath);
    progress?.warnings(warnings, workflowPath);
    const startedAt = performance.now();
    const result = await runtime.run(workflow, {
      inputs,
      signal: controller.signal,
      timeoutS: flags.timeout,
      nodeTimeoutS: flags.nodeTimeout,
      maxParallel: flags.maxParallel,
      historyMode: flags.history,
      onEvent: progress?.onEvent,
    });
    if (flags.json) {
      process.stdout.write(`${toJsonText(runResultJson(result))}\n`);
    } else {
      process.stdout.write(`${toJsonText(result.outputs, 2)}\n`);
      progress?.summary(result, performance.now() - startedAt);
    }
    return exitCodeForStatus(result.status);
  } catch (error) {
    return reportError(error);
  } finally {
    await runtime.close();
    // Removed only now: a second signal while the runtime closes still means "force".
    removeSignalHandlers();
  }
}

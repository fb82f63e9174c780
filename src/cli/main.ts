/**
 * The `flockflow` command line (SPEC §7). `main` returns the exit code instead of exiting, so the
 * bin can set `process.exitCode` and let stdout drain; only the bin's `forceExit` (a second
 * SIGINT) ends the process early.
 *
 * Commander's own errors (unknown option, missing argument, bad choice) are usage errors: exit 2,
 * not commander's default 1, which would read as "the run failed".
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import type { CommandContext } from "./command-context.js";
import { EXIT_OK, EXIT_USAGE } from "./exit-codes.js";
import { registerGraphCommand } from "./graph-command.js";
import { registerMockLlmCommand } from "./mock-llm-command.js";
import { reportError } from "./report-error.js";
import { registerRunCommand } from "./run-command.js";
import { registerServeCommand } from "./serve-command.js";
import { registerValidateCommand } from "./validate-command.js";

export interface MainHooks {
  forceExit?: (code: number) => void;
}

/** `argv` as in `process.argv`: the node binary and the script first. */
export async function main(argv: readonly string[], hooks: MainHooks = {}): Promise<number> {
  const context: CommandContext = { exitCode: EXIT_OK, forceExit: hooks.forceExit };
  const program = buildProgram(context);
  try {
    await program.parseAsync([...argv], { from: "node" });
  } catch (error) {
    // Commander has already printed its message (or the help / version text).
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    return reportError(error);
  }
  return context.exitCode;
}

function buildProgram(context: CommandContext): Command {
  // exitOverride is set before the commands are added: `.command()` copies it to each of them.
  const program = new Command("flockflow")
    .description("Run workflows in the Flocks workflow.json format")
    .version(packageVersion(), "-V, --version")
    .exitOverride()
    .showHelpAfterError("(add --help for usage)");
  registerRunCommand(program, context);
  registerValidateCommand(program, context);
  registerGraphCommand(program, context);
  registerMockLlmCommand(program, context);
  registerServeCommand(program, context);
  return program;
}

/** src/cli and dist/cli both sit two levels below the package root. */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

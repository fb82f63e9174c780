/**
 * `flockflow serve` (SPEC §7): the HTTP service. Prints the generated API token on the first start
 * (`api token: <token>`, once: it is stored under the data dir), then `listening on
 * http://HOST:PORT` with the real port, both on stdout. SIGTERM or SIGINT shuts down gracefully:
 * running runs get `--shutdown-grace` seconds, the rest are cancelled with their work stopped,
 * then pools, workers and the store close and the command returns 0. A second signal exits at once.
 */
import path from "node:path";
import { InvalidArgumentError, type Command } from "commander";
import { findConfigFile } from "../config/load-config.js";
import { DEFAULT_HOST, DEFAULT_PORT, startService, type Service } from "../server/index.js";
import { cancelOnSignals } from "./cancel-on-signals.js";
import type { CommandContext } from "./command-context.js";
import { EXIT_CANCELLED, EXIT_OK } from "./exit-codes.js";
import { collect, parseNonNegativeSeconds } from "./option-parsers.js";
import { reportError } from "./report-error.js";

export interface ServeFlags {
  host?: string;
  port?: number;
  dataDir?: string;
  workflows: string[];
  config?: string;
  tools: string[];
  shutdownGrace?: number;
}

export function registerServeCommand(program: Command, context: CommandContext): void {
  program
    .command("serve")
    .description("serve the workflows of the --workflows folders over HTTP (runs, history, publishing, triggers)")
    .option("--host <host>", `interface to listen on (default ${DEFAULT_HOST})`)
    .option("--port <n>", `port to listen on, 0 = any free port (default ${DEFAULT_PORT})`, parsePort)
    .option("--data-dir <dir>", "run store and token folder (default: config data.dir, else ~/.flockflow/data)")
    .option("--workflows <dir>", "folder of <id>/workflow.json workflows (repeatable; the first takes new ones)", collect, [])
    .option("--config <file>", "config file (default: $FLOCKFLOW_CONFIG, ./flockflow.json, ~/.flockflow/config.json)")
    .option("--tools <module>", "tools module to load (repeatable)", collect, [])
    .option("--shutdown-grace <seconds>", "on SIGTERM, how long running runs may finish before they are cancelled (default 3)", parseNonNegativeSeconds("--shutdown-grace"))
    .action(async (flags: ServeFlags) => {
      context.exitCode = await serveCommand(flags, context);
    });
}

export async function serveCommand(flags: ServeFlags, context: CommandContext): Promise<number> {
  const stop = new AbortController();
  // Installed before the service starts, so a signal during start-up is a shutdown, not a kill.
  const removeSignalHandlers = cancelOnSignals(stop, { onForce: () => context.forceExit?.(EXIT_CANCELLED) });
  let service: Service;
  try {
    service = await startService({
      host: flags.host,
      port: flags.port,
      dataDir: flags.dataDir,
      workflowDirs: flags.workflows.map((dir) => path.resolve(dir)),
      config: flags.config ?? findConfigFile(),
      toolModules: flags.tools,
      shutdownGraceS: flags.shutdownGrace,
    });
  } catch (error) {
    removeSignalHandlers();
    return reportError(error);
  }
  if (service.generatedToken !== undefined) {
    process.stdout.write(`api token: ${service.generatedToken}\n(stored in ${service.tokenFile}; it is not printed again)\n`);
  }
  process.stdout.write(`listening on ${service.url}\n`);
  await new Promise((resolve) => {
    if (stop.signal.aborted) resolve(undefined);
    else stop.signal.addEventListener("abort", resolve, { once: true });
  });
  try {
    await service.close();
  } catch (error) {
    removeSignalHandlers();
    return reportError(error);
  }
  removeSignalHandlers();
  return EXIT_OK;
}

function parsePort(value: string): number {
  const n = value.trim() === "" ? Number.NaN : Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new InvalidArgumentError("--port must be an integer from 0 to 65535.");
  return n;
}

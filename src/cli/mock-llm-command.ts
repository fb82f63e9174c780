/**
 * `flockflow mock-llm` (SPEC §7): the deterministic OpenAI-compatible server, for trying workflows
 * offline. Prints `mock-llm listening on <url>` on stdout once it accepts connections, runs until
 * SIGINT or SIGTERM, then closes every socket and returns 0 so the process ends by itself.
 */
import { readFileSync } from "node:fs";
import { InvalidArgumentError, type Command } from "commander";
import { InvalidOptionError } from "../errors.js";
import { parseMockRules, startMockLlmServer, type MockLlmServer, type MockRule } from "../mock-llm/index.js";
import { cancelOnSignals } from "./cancel-on-signals.js";
import type { CommandContext } from "./command-context.js";
import { EXIT_OK } from "./exit-codes.js";
import { reportError } from "./report-error.js";

/** Next to `serve`'s 8787, and fixed, so a demo config can name the URL before the server starts. */
export const DEFAULT_MOCK_LLM_PORT = 8788;

export interface MockLlmFlags {
  host: string;
  port: number;
  models?: string[];
  rules?: string;
  apiKey?: string;
}

export function registerMockLlmCommand(program: Command, context: CommandContext): void {
  program
    .command("mock-llm")
    .description("serve a deterministic OpenAI-compatible API for offline runs and tests")
    .option("--host <host>", "interface to listen on", "127.0.0.1")
    .option("--port <n>", "port to listen on (0 = any free port)", parsePort, DEFAULT_MOCK_LLM_PORT)
    .option("--models <names>", "comma-separated model names listed by /v1/models (default mock-model)", parseModelList)
    .option("--rules <file>", "JSON file with an array of rules scripting replies and faults")
    .option("--api-key <key>", "require Authorization: Bearer <key>")
    .action(async (flags: MockLlmFlags) => {
      context.exitCode = await mockLlmCommand(flags, context);
    });
}

export async function mockLlmCommand(flags: MockLlmFlags, context: CommandContext): Promise<number> {
  let server: MockLlmServer;
  try {
    const rules = flags.rules === undefined ? [] : readRulesFile(flags.rules);
    server = await startMockLlmServer({ host: flags.host, port: flags.port, models: flags.models, rules, apiKey: flags.apiKey });
  } catch (error) {
    return reportError(error);
  }
  const stop = new AbortController();
  // Installed before the listening line, so a signal sent as soon as it is read is already ours.
  const removeSignalHandlers = cancelOnSignals(stop, { onForce: () => context.forceExit?.(EXIT_OK) });
  process.stdout.write(`mock-llm listening on ${server.url}\n`);
  await new Promise((resolve) => stop.signal.addEventListener("abort", resolve, { once: true }));
  await server.close();
  removeSignalHandlers();
  return EXIT_OK;
}

function readRulesFile(file: string): MockRule[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new InvalidOptionError(`--rules: cannot read ${file}: ${(error as Error).message}`);
  }
  let rules: unknown;
  try {
    rules = JSON.parse(text);
  } catch (error) {
    throw new InvalidOptionError(`--rules: ${file} is not valid JSON: ${(error as Error).message}`);
  }
  return parseMockRules(rules, file);
}

function parsePort(value: string): number {
  const n = value.trim() === "" ? Number.NaN : Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new InvalidArgumentError("--port must be an integer from 0 to 65535.");
  return n;
}

function parseModelList(value: string): string[] {
  const models = value.split(",").map((name) => name.trim()).filter((name) => name !== "");
  if (models.length === 0) throw new InvalidArgumentError("--models must name at least one model.");
  return models;
}

/**
 * Runs the real CLI (`node bin/flockflow.js`, built into dist/ beforehand by `npm run build`) as a
 * child process from the repository root, the way users run it. HOME points at an empty folder and
 * config variables are cleared, so a developer's own ~/.flockflow never leaks into a test.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const FIXTURES = "test/fixtures/cli";
export const TOOLS = `${FIXTURES}/tools.mjs`;

const EMPTY_HOME = mkdtempSync(path.join(os.tmpdir(), "flockflow-cli-home-"));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The child was still running at the deadline and had to be killed. */
  hung: boolean;
  /** performance.now() when the process exited. */
  exitedAt: number;
}

export interface CliProcess {
  child: ChildProcess;
  /** Settles when the process has exited and its output streams have closed. */
  done: Promise<CliResult>;
  /** Resolves once stderr contains `text`. */
  waitForStderr(text: string): Promise<void>;
}

export function spawnCli(args: string[], options: { timeoutMs?: number } = {}): CliProcess {
  if (!existsSync(path.join(REPO_ROOT, "dist/cli/main.js"))) throw new Error("dist/ is missing: run `npm run build` first");
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: EMPTY_HOME, USERPROFILE: EMPTY_HOME };
  delete env.FLOCKFLOW_CONFIG;
  delete env.FLOCKFLOW_SECRETS;
  delete env.NODE_OPTIONS;
  const child = spawn(process.execPath, ["bin/flockflow.js", ...args], { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  const waiters: Array<{ text: string; resolve: () => void }> = [];
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
    for (const w of waiters.filter((w) => stderr.includes(w.text))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  let hung = false;
  let exitedAt = Number.NaN;
  child.once("exit", () => (exitedAt = performance.now()));
  const timer = setTimeout(() => {
    hung = true;
    child.kill("SIGKILL");
  }, options.timeoutMs ?? 15_000);
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      for (const w of waiters) w.resolve();
      resolve({ code, signal, stdout, stderr, hung, exitedAt });
    });
  });
  return {
    child,
    done,
    waitForStderr: (text) =>
      stderr.includes(text) ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ text, resolve })),
  };
}

export function runCli(args: string[], options: { timeoutMs?: number } = {}): Promise<CliResult> {
  return spawnCli(args, options).done;
}

/** Polls until `file` exists: the `sleep` fixture tool writes it when its node has started. */
export async function waitForFile(file: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`${file} did not appear within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

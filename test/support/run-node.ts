/** Runs a Node.js child process from the repository root to its end, for tests of whole-process behaviour. */
import { spawn } from "node:child_process";
import path from "node:path";

export const REPO_ROOT = path.resolve(import.meta.dirname, "../..");

export interface NodeRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** From just before the spawn to the 'close' event. */
  ms: number;
}

/**
 * `node <args>` with cwd at the repository root and `env` (default: this process's), its output
 * collected; settles on 'close'. A child still running after `killAfterMs` (default 15 s) gets
 * SIGKILL, which the result's `signal` then shows.
 */
export async function runNode(args: string[], options: { env?: NodeJS.ProcessEnv; killAfterMs?: number } = {}): Promise<NodeRun> {
  const started = performance.now();
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const guard = setTimeout(() => child.kill("SIGKILL"), options.killAfterMs ?? 15_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on("close", (c, s) => resolve([c, s])));
  clearTimeout(guard);
  return { code, signal, stdout, stderr, ms: performance.now() - started };
}

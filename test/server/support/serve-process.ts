/**
 * `node bin/flockflow.js serve …` as a child process (built into dist/ beforehand), for what only a
 * real process can show: its stdout, SIGTERM, and SIGKILL mid-run.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

export interface ServeProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the URL once `listening on …` is printed. */
  listening: Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

export function spawnServe(args: string[], home: string, env: NodeJS.ProcessEnv = {}): ServeProcess {
  if (!existsSync(path.join(REPO_ROOT, "dist/cli/main.js"))) throw new Error("dist/ is missing: run `npm run build` first");
  mkdirSync(home, { recursive: true });
  const childEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, ...env };
  const child = spawn(process.execPath, ["bin/flockflow.js", "serve", ...args], { cwd: REPO_ROOT, env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8");
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const listening = new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", (chunk: string) => {
      stdout += chunk;
      const match = /listening on (http:\/\/\S+)\n/.exec(stdout);
      if (match) resolve(match[1]!);
    });
    child.once("exit", (code) => reject(new Error(`serve exited (${code}) before listening: ${stderr}`)));
  });
  listening.catch(() => {});
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal, at: performance.now() })),
  );
  return { child, stdout: () => stdout, stderr: () => stderr, listening, exited };
}

/**
 * The mock LLM server for the Python bench, run the way a user runs it: `node bin/flockflow.js
 * mock-llm --port 0 --rules <file>` in a child process, so the nodes under test and the server never
 * share an event loop. The rules go through a temporary file; the URL is read from the command's
 * `mock-llm listening on <url>` line; counters come from `GET /__mock/stats` (a request the
 * server does not count as a chat completion); SIGTERM closes it and the child exits by itself.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const CLI = fileURLToPath(new URL("../../bin/flockflow.js", import.meta.url));
const STARTUP_TIMEOUT_MS = 10_000;

export async function spawnMockCli(rules) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "ff-bench-mock-"));
  const rulesFile = path.join(dir, "rules.json");
  writeFileSync(rulesFile, JSON.stringify(rules));
  const child = spawn(process.execPath, [CLI, "mock-llm", "--port", "0", "--rules", rulesFile], { stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  let url;
  try {
    url = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`mock-llm did not start within ${STARTUP_TIMEOUT_MS} ms`)), STARTUP_TIMEOUT_MS);
      child.once("exit", (code) => reject(new Error(`mock-llm exited early (code ${code})`)));
      createInterface({ input: child.stdout }).on("line", (line) => {
        const match = /^mock-llm listening on (\S+)/.exec(line);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
    });
  } catch (error) {
    child.kill("SIGKILL");
    await exited;
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const origin = new URL(url).origin;
  return {
    url,
    pid: child.pid,
    /** The server's counters (`MockStats`). */
    async stats() {
      const response = await fetch(`${origin}/__mock/stats`);
      if (!response.ok) throw new Error(`mock-llm stats: HTTP ${response.status}`);
      return response.json();
    },
    /** SIGTERM, then wait for the child to exit; the rules file goes with it. */
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

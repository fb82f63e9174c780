/**
 * The mock LLM server for the Python bench, run the way a user runs it: `node bin/flockflow.js
 * mock-llm --port 0 --rules <file>` in a child process, so the nodes under test and the server never
 * share an event loop. The rules go through a temporary file; the URL is read from the command's
 * `mock-llm listening on <url>` line; counters come from `GET /__mock/stats` (a request the
 * server does not count as a chat completion); SIGTERM closes it and the child exits by itself.
 */
import { startMockCli } from "../shared/start-mock-cli.mjs";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";


export async function spawnMockCli(rules) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "ff-bench-mock-"));
  const rulesFile = path.join(dir, "rules.json");
  writeFileSync(rulesFile, JSON.stringify(rules));
  let started;
  try {
    started = await startMockCli(rulesFile);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const { child, url, exited } = started;
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

/**
 * flockflow's mock LLM server, run the way a user runs it (`node bin/flockflow.js mock-llm --port 0
 * --rules FILE`) in its own child process. The rules go through a file in the bench's temporary
 * folder; the URL comes from the `mock-llm listening on <url>` line.
 *
 * The counters come from `POST /__mock/reset` and `GET /__mock/stats`. Those requests arrive on a
 * TCP connection too, and the mock counts every connection it accepts, so they all go over one
 * undici `Client` (a single keep-alive connection) opened before the reset: after the reset,
 * `connectionsOpened` counts only the service's connections. Should the control connection be
 * dropped and reopened in between (keep-alive timeout), its reconnections are counted through the
 * client's `connect` event and subtracted.
 */
import { startMockCli } from "../shared/start-mock-cli.mjs";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { Client } from "undici";

const EXIT_TIMEOUT_MS = 5_000;

export async function spawnMockLlm(rules, { dir }) {
  const rulesFile = path.join(dir, "mock-rules.json");
  writeFileSync(rulesFile, JSON.stringify(rules));
  const { child, url, exited } = await startMockCli(rulesFile);

  const control = new Client(new URL(url).origin, { pipelining: 1, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 60_000 });
  let controlConnects = 0;
  control.on("connect", () => controlConnects++);
  const controlRequest = async (method, route) => {
    const { statusCode, body } = await control.request({ method, path: route });
    const value = await body.json();
    if (statusCode !== 200) throw new Error(`mock-llm ${method} ${route}: HTTP ${statusCode}`);
    return value;
  };
  let connectsAtReset = 0;

  return {
    url,
    /** Counters restart; the control connection is open by now and no longer counted. */
    async reset() {
      await controlRequest("POST", "/__mock/reset");
      connectsAtReset = controlConnects;
    },
    /** `MockStats`, with the control client's reconnections since the reset taken out. */
    async stats() {
      const stats = await controlRequest("GET", "/__mock/stats");
      return { ...stats, connectionsOpened: stats.connectionsOpened - (controlConnects - connectsAtReset) };
    },
    async close() {
      await control.close();
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), EXIT_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

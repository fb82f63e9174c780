/**
 * `flockflow serve` in a child process, started the way a user starts it (`node bin/flockflow.js
 * serve --port 0 ...`), so the service and the load generator never share an event loop. The token
 * and the address are read from its stdout (`api token: ...` on the first start, then `listening on
 * http://HOST:PORT`). The child's environment has HOME in the bench's temporary folder and no
 * `FLOCKFLOW_API_TOKEN`, so no developer config leaks in and the token is generated.
 *
 * Memory is read from `/proc/<pid>/status` (VmRSS, VmHWM): the pid is the server's own, since the
 * child is `node` itself. `close()` sends SIGTERM (the graceful shutdown, which also lets
 * `--cpu-prof` write its profile) and waits, bounded, for the exit.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const CLI = fileURLToPath(new URL("../../bin/flockflow.js", import.meta.url));
const STARTUP_TIMEOUT_MS = 20_000;
/** The service's own grace for running runs is 3 s by default; this bounds the whole shutdown. */
const EXIT_TIMEOUT_MS = 15_000;

/** VmRSS and VmHWM of `pid` in bytes, read from /proc; undefined where /proc is missing. */
export function processMemory(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return undefined;
  }
  const kib = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? Number.NaN) * 1024;
  return { rssBytes: kib("VmRSS"), peakRssBytes: kib("VmHWM") };
}

/**
 * Starts the service. `nodeArgs` go before the CLI path (e.g. `--cpu-prof`). Resolves with the
 * base URL, the generated token, the pid, an authenticated `api()` and `close()`.
 */
export async function spawnServer({ dataDir, workflowsDir, configFile, home, nodeArgs = [] }) {
  const env = { ...process.env, HOME: home };
  delete env.FLOCKFLOW_API_TOKEN;
  delete env.FLOCKFLOW_CONFIG;
  const args = [...nodeArgs, CLI, "serve", "--port", "0", "--data-dir", dataDir, "--workflows", workflowsDir, "--config", configFile];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"], env });
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  let token;
  let url;
  try {
    url = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`flockflow serve did not start within ${STARTUP_TIMEOUT_MS} ms`)), STARTUP_TIMEOUT_MS);
      exited.then(({ code }) => {
        clearTimeout(timer);
        reject(new Error(`flockflow serve exited early (code ${code})`));
      });
      createInterface({ input: child.stdout }).on("line", (line) => {
        const tokenLine = /^api token: (\S+)/.exec(line);
        if (tokenLine) token = tokenLine[1];
        const listening = /^listening on (http:\/\/\S+)/.exec(line);
        if (listening) {
          clearTimeout(timer);
          resolve(listening[1]);
        }
      });
    });
    if (token === undefined) throw new Error("flockflow serve printed no `api token:` line (was the data folder fresh?)");
  } catch (error) {
    child.kill("SIGKILL");
    await exited;
    throw error;
  }

  /** An API call with the bearer token; resolves with the status and the parsed JSON body. */
  async function api(method, route, body) {
    const response = await fetch(`${url}${route}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  }

  return {
    url,
    token,
    pid: child.pid,
    api,
    memory: () => processMemory(child.pid),
    /** SIGTERM, then wait for the exit (SIGKILL after EXIT_TIMEOUT_MS); resolves with the exit code. */
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), EXIT_TIMEOUT_MS);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

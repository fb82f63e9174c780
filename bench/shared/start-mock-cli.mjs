// Starts `node bin/flockflow.js mock-llm --port 0 --rules FILE` as a child process, the way a user
// runs it, and resolves with its URL once it prints `mock-llm listening on <url>`. On failure the
// child is killed and awaited before the error is thrown.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const CLI = fileURLToPath(new URL("../../bin/flockflow.js", import.meta.url));
const STARTUP_TIMEOUT_MS = 10_000;

export async function startMockCli(rulesFile) {
  const child = spawn(process.execPath, [CLI, "mock-llm", "--port", "0", "--rules", rulesFile], { stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  try {
    const url = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`mock-llm did not start within ${STARTUP_TIMEOUT_MS} ms`)), STARTUP_TIMEOUT_MS);
      exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`mock-llm exited early (code ${code})`));
      });
      createInterface({ input: child.stdout }).on("line", (line) => {
        const match = /^mock-llm listening on (\S+)/.exec(line);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
    });
    return { child, url, exited };
  } catch (error) {
    child.kill("SIGKILL");
    await exited;
    throw error;
  }
}

#!/usr/bin/env node
// The README demo in one command: `node examples/alert-triage/demo.mjs` (after `npm ci && npm run build`).
//
// 1. Starts `flockflow mock-llm` on a free port with this folder's mock-llm-rules.json, which gives
//    the workflow's LLM calls deterministic replies (one of them fails once with a 503, so the
//    progress shows a retry), and reads the URL from its "mock-llm listening on ..." line.
// 2. Runs the alert-triage workflow with OPENAI_BASE_URL pointing at that URL and no config file,
//    the zero-configuration path: with no `provider` config, OPENAI_BASE_URL defines the provider
//    `openai`, which serves the model names the workflow uses. The run's stdout (the outputs) and
//    stderr (the progress) go straight through.
// 3. Stops the mock and exits with the run's exit code.
//
// Ctrl-C cancels the run the way it does for `flockflow run` (exit 130): the children get their own
// process group, so the signal reaches them once, from here, and never twice.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const EXAMPLE_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(EXAMPLE_DIR, "../..");
const BIN = path.join(REPO_ROOT, "bin", "flockflow.js");
const MOCK_START_TIMEOUT_MS = 10_000;
const OWN_PROCESS_GROUP = process.platform !== "win32";

if (!existsSync(path.join(REPO_ROOT, "dist", "cli", "main.js"))) {
  process.stderr.write("demo: dist/ is missing; run `npm ci && npm run build` first\n");
  process.exit(2);
}

/** Resolves with the mock's base URL once it prints its listening line. */
function startMock() {
  const mock = spawn(process.execPath, [BIN, "mock-llm", "--port", "0", "--rules", path.join(EXAMPLE_DIR, "mock-llm-rules.json")], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "pipe", "inherit"],
    detached: OWN_PROCESS_GROUP,
  });
  const url = new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => reject(new Error(`mock-llm did not start within ${MOCK_START_TIMEOUT_MS} ms`)), MOCK_START_TIMEOUT_MS);
    mock.stdout.setEncoding("utf8").on("data", (chunk) => {
      seen += chunk;
      const match = /^mock-llm listening on (\S+)$/m.exec(seen);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    mock.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    mock.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`mock-llm exited with code ${code} before it was listening`));
    });
  });
  const exited = new Promise((resolve) => mock.once("exit", resolve));
  return { mock, url, exited };
}

/** The run's environment: no config file, the mock as the OpenAI-compatible endpoint. */
function runEnv(mockUrl) {
  const env = { ...process.env, OPENAI_BASE_URL: mockUrl };
  // An empty FLOCKFLOW_CONFIG counts as unset; the repository root holds no flockflow.json.
  delete env.FLOCKFLOW_CONFIG;
  // Your real key is not needed by the mock, and is not sent to it.
  delete env.OPENAI_API_KEY;
  delete env.OPENAI_MODEL;
  return env;
}

const { mock, url, exited: mockExited } = startMock();
// However this script ends, the mock does not outlive it.
process.once("exit", () => {
  if (mock.exitCode === null && mock.signalCode === null) mock.kill("SIGTERM");
});

let mockUrl;
try {
  mockUrl = await url;
} catch (error) {
  process.stderr.write(`demo: ${error.message}\n`);
  process.exit(1);
}
process.stderr.write(`demo: mock-llm listening on ${mockUrl}; running examples/alert-triage against it\n`);
if (existsSync(path.join(os.homedir(), ".flockflow", "config.json"))) {
  process.stderr.write("demo: note: ~/.flockflow/config.json exists; LLM providers configured there take precedence over OPENAI_BASE_URL\n");
}

const run = spawn(
  process.execPath,
  [
    BIN,
    "run",
    "examples/alert-triage",
    "--tools",
    "examples/alert-triage/tools.mjs",
    "--inputs-file",
    "examples/alert-triage/sample-inputs.json",
  ],
  { cwd: REPO_ROOT, env: runEnv(mockUrl), stdio: ["ignore", "inherit", "inherit"], detached: OWN_PROCESS_GROUP },
);
const forward = (signal) => run.kill(signal);
process.on("SIGINT", forward);
process.on("SIGTERM", forward);
const runCode = await new Promise((resolve) => {
  run.once("error", (error) => {
    process.stderr.write(`demo: cannot start flockflow run: ${error.message}\n`);
    resolve(1);
  });
  run.once("exit", (code, signal) => resolve(code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1)));
});
process.off("SIGINT", forward);
process.off("SIGTERM", forward);

// mock-llm closes its sockets and exits 0 on SIGTERM.
mock.kill("SIGTERM");
await mockExited;
process.exitCode = runCode;

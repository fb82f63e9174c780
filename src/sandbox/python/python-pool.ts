/**
 * The runtime's pool of Python worker processes (SPEC §4). Workers get an environment built from an
 * allowlist — never the provider keys, API tokens or other secrets of the host — plus where the
 * workspace and data folders are, for the `flocks` shim.
 */
import { mkdirSync } from "node:fs";
import { WorkerPool } from "../worker-pool.js";
import { PythonWorker, type PythonJob, type PythonJobResult } from "./python-worker.js";

const ENV_ALLOWLIST = ["PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "TMP", "TEMP"];

export interface PythonPoolOptions {
  /** Interpreter (default `python3` from PATH; config `python.executable`). */
  executable?: string;
  /** Most worker processes alive at once (default 4). */
  maxWorkers?: number;
  workspaceDir: string;
  dataDir: string;
  /** The host environment the allowlist is taken from (default process.env). */
  env?: NodeJS.ProcessEnv;
}

export function pythonEnvironment(hostEnv: NodeJS.ProcessEnv, workspaceDir: string, dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const key of ENV_ALLOWLIST) if (hostEnv[key] !== undefined) env[key] = hostEnv[key];
  // The interpreter must be found even when the runtime was given a minimal environment.
  env.PATH ??= process.env.PATH;
  env.FLOCKFLOW_WORKSPACE = workspaceDir;
  env.FLOCKFLOW_DATA_DIR = dataDir;
  return env;
}

export class PythonPool extends WorkerPool<PythonJob, PythonJobResult, PythonWorker> {
  constructor(options: PythonPoolOptions) {
    const env = pythonEnvironment(options.env ?? process.env, options.workspaceDir, options.dataDir);
    let executable = options.executable ?? "python3";
    super(options.maxWorkers ?? 4, () => {
      // Workers run in the workspace folder; spawn reports a missing cwd as ENOENT, like a missing
      // interpreter, so make sure it exists first.
      mkdirSync(options.workspaceDir, { recursive: true });
      const worker = new PythonWorker({ executable, env, cwd: options.workspaceDir });
      // Later workers start the interpreter the first one reported, not a launcher in front of it
      // (a pyenv shim costs ~70 ms per start).
      worker.ready.then(() => {
        if (worker.interpreterPath) executable = worker.interpreterPath;
      }, () => {});
      return worker;
    });
  }
}

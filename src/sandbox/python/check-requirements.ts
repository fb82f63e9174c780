/**
 * Which of a workflow's `metadata.requirements` the Python interpreter can import (issue 4 item 7).
 * flockflow installs nothing: `validate` reports what is missing, and a node that imports a missing
 * requirement fails with a message naming it (runner.py `_describe`).
 *
 * One `python3 -I -c <script>` process checks every requirement with `importlib.util.find_spec`,
 * which locates a module without running it (for a dotted name it imports the parent package).
 * `-I` is how the workers run, so user site-packages and PYTHONPATH count for neither.
 *
 * A requirement is a pip spec; the module it provides is guessed from its name: version
 * specifiers, extras and markers are dropped (`datasketch>=1.5` → `datasketch`,
 * `requests[socks]; python_version>"3.8"` → `requests`), a few well-known distributions map to
 * their module (`pyyaml` → `yaml`, `beautifulsoup4` → `bs4`, `python-dateutil` → `dateutil`, ...),
 * anything else becomes its name with `-` as `_`, tried as written and then in lower case
 * (`PyMySQL` → `pymysql`). runner.py applies the same rule; keep the two in step.
 */
import { execFile } from "node:child_process";
import { WorkerCrashError } from "../../errors.js";

export interface RequirementStatus {
  /** The requirement as the workflow lists it. */
  name: string;
  /** The module checked (the one found, else the first guess); "" when no name could be read. */
  module: string;
  importable: boolean;
}

export interface CheckRequirementsOptions {
  /** Interpreter (default `python3`; config `python.executable`). */
  executable?: string;
  /** Environment of the check (default: PATH, HOME and the locale of this process). */
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/** Distributions whose module is not their name (keys in PEP 503 normal form). */
const DIST_MODULES: Record<string, string> = {
  pyyaml: "yaml",
  beautifulsoup4: "bs4",
  "python-dateutil": "dateutil",
  pillow: "PIL",
  "scikit-learn": "sklearn",
  "opencv-python": "cv2",
  "opencv-python-headless": "cv2",
  pyjwt: "jwt",
  "python-dotenv": "dotenv",
  protobuf: "google.protobuf",
};

const REQUIREMENT_NAME = /^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)/;

const CHECK_SCRIPT = `
import importlib.util, json, sys
found = []
for candidates in json.loads(sys.argv[1]):
    hit = None
    for name in candidates:
        try:
            if importlib.util.find_spec(name) is not None:
                hit = name
                break
        except Exception:
            pass
    found.append(hit)
sys.stdout.write(json.dumps(found))
`;

/** The modules a requirement may provide, most likely first; [] when the spec names nothing. */
export function requirementModules(spec: string): string[] {
  const name = REQUIREMENT_NAME.exec(spec)?.[1];
  if (!name) return [];
  const known = DIST_MODULES[name.toLowerCase().replace(/[-_.]+/g, "-")];
  if (known) return [known];
  const asWritten = name.replace(/-/g, "_");
  const lower = asWritten.toLowerCase();
  return asWritten === lower ? [lower] : [asWritten, lower];
}

export async function checkRequirements(specs: string[], options: CheckRequirementsOptions = {}): Promise<RequirementStatus[]> {
  if (specs.length === 0) return [];
  const candidates = specs.map(requirementModules);
  const executable = options.executable ?? "python3";
  const stdout = await runCheck(executable, JSON.stringify(candidates), options);
  let found: Array<string | null>;
  try {
    found = JSON.parse(stdout) as Array<string | null>;
  } catch {
    throw new WorkerCrashError(`could not check metadata.requirements with '${executable}': unexpected output ${JSON.stringify(stdout.slice(0, 200))}`);
  }
  return specs.map((name, i) => {
    const hit = found[i];
    return { name, module: hit ?? candidates[i]!.at(-1) ?? "", importable: typeof hit === "string" };
  });
}

function runCheck(executable: string, argument: string, options: CheckRequirementsOptions): Promise<string> {
  const env = options.env ?? minimalEnv(process.env);
  return new Promise((resolve, reject) => {
    execFile(executable, ["-I", "-c", CHECK_SCRIPT, argument], { env, timeout: options.timeoutMs ?? 30_000, maxBuffer: 1024 * 1024 }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout);
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT") {
        reject(new WorkerCrashError(`Python not found: '${executable}' is not on PATH; install python3 (>= 3.9) or set config python.executable`, error));
      } else {
        reject(new WorkerCrashError(`could not check metadata.requirements with '${executable}': ${String(stderr).trim() || error.message}`, error));
      }
    });
  });
}

function minimalEnv(host: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const key of ["PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "SYSTEMROOT"]) if (host[key] !== undefined) env[key] = host[key];
  return env;
}

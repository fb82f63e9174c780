/**
 * Which interpreter the Python workers get: the first `python3` on PATH (what the pool spawns by
 * default) and the interpreter it ends up running (`sys.executable`). They differ when `python3` is
 * a version manager's shim (pyenv's is a bash script that execs the real one), which costs every
 * worker start, never a warm job; the cold-start case measures both.
 */
import { execFileSync } from "node:child_process";
import { accessSync, constants, realpathSync } from "node:fs";
import path from "node:path";

function firstOnPath(name) {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here: keep looking.
    }
  }
  return undefined;
}

export function describeInterpreter() {
  const onPath = firstOnPath("python3");
  const [resolved, version] = execFileSync("python3", ["-I", "-c", "import sys; print(sys.executable); print('%d.%d.%d' % sys.version_info[:3])"], { encoding: "utf8" }).trim().split("\n");
  const isShim = onPath !== undefined && realpathSync(onPath) !== realpathSync(resolved);
  const describe = isShim ? `Python ${version} (\`python3\` on PATH is \`${onPath}\`, which runs \`${resolved}\`)` : `Python ${version} (\`${resolved}\`)`;
  return { onPath, resolved, version, isShim, describe };
}

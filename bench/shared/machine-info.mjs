// What every benchmark report records about the machine and the code it measured.
import { execFileSync } from "node:child_process";
import os from "node:os";

/** Date, Node version, CPU, cores, and the commit (noting uncommitted changes in src/). */
export function machineInfo() {
  let commit = "(unknown commit)";
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "src"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    if (dirty) commit += " with uncommitted changes in src/";
  } catch {
    // Not a git checkout: the commit stays unknown.
  }
  return {
    date: new Date().toISOString().slice(0, 10),
    node: process.version,
    cpu: os.cpus()[0]?.model.trim() ?? "unknown CPU",
    cores: os.cpus().length,
    commit,
  };
}

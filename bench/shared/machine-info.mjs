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

/**
 * The report's `machine`: `machineInfo()`, the bench's own `extra` fields, `mode` (`modeText` for a
 * `--quick` run, else empty), the 1-minute load average before (`loadBefore`, read when the bench
 * started) and now, and `durationS`, the run's length in whole seconds.
 */
export function benchMachine({ quick = false, loadBefore, durationS, modeText = "", extra = {} }) {
  return {
    ...machineInfo(),
    ...extra,
    mode: quick ? modeText : "",
    loadBefore,
    loadAfter: os.loadavg()[0],
    durationS: durationS.toFixed(0),
  };
}

/**
 * CPU time (user + system) spent by this process, its Python worker processes and the mock's
 * process, read from /proc on Linux. Wall-clock runs/s moves with whatever else shares the 2 cores;
 * CPU per run barely does, and it bounds what parallel runs can reach: with C cores, runs/s ≤
 * C × 1000 / (CPU ms per run, all processes).
 *
 * Workers are found as child processes of this one whose command is `python…`; one that exits
 * during a case takes its CPU time with it (the bench's workflows never make a worker retire).
 * Off Linux `available` is false and the bench leaves the CPU columns empty.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";

const available = process.platform === "linux" && existsSync("/proc/self/stat");
const ticksPerS = available ? Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100 : 100;

/** `{ comm, ppid, cpuMs }` of `pid`, or undefined once it is gone. */
function readStat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const close = text.lastIndexOf(")");
    const comm = text.slice(text.indexOf("(") + 1, close);
    // Fields after the command: state ppid … utime (14th field overall) stime (15th).
    const fields = text.slice(close + 2).split(" ");
    return { comm, ppid: Number(fields[1]), cpuMs: ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerS };
  } catch {
    return undefined;
  }
}

function pythonChildren() {
  const out = new Map();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(name);
    if (stat && stat.ppid === process.pid && stat.comm.startsWith("python")) out.set(name, stat.cpuMs);
  }
  return out;
}

/**
 * Starts counting; `stop()` returns CPU milliseconds spent since, by process group: `host` (this
 * process, all its threads), `python` (every worker alive at the stop; one started in between
 * counts from its start) and `mock`.
 */
export function startCpuCount(mockPid) {
  if (!available) return { stop: () => undefined };
  const host0 = process.cpuUsage();
  const python0 = pythonChildren();
  const mock0 = readStat(mockPid)?.cpuMs ?? 0;
  return {
    stop() {
      const host = process.cpuUsage(host0);
      let python = 0;
      for (const [pid, cpuMs] of pythonChildren()) python += cpuMs - (python0.get(pid) ?? 0);
      return { hostMs: (host.user + host.system) / 1000, pythonMs: python, mockMs: (readStat(mockPid)?.cpuMs ?? mock0) - mock0 };
    },
  };
}

/**
 * CPU time of the server process, read from /proc on Linux: the whole process (every thread,
 * including threads that have exited) and its main thread alone (the task whose id is the pid:
 * HTTP, the engine, the run store). The rest is JavaScript-node worker threads, libuv's pool and
 * V8's helper threads (GC); Node names them all `node`, so they are not told apart.
 *
 * The whole machine's busy time comes from the `cpu` line of /proc/stat (user, nice, system, irq,
 * softirq, steal): what is left after the server and the bench is everything else on the machine,
 * which `ps` may not even show (other containers on the same VM).
 *
 * Requests/s moves with whatever else shares the 2 cores (here: the load generator itself, and
 * anything else running); CPU per request hardly does, and with C cores it bounds requests/s ≤
 * C × 10⁶ / (µs per request). Off Linux every reading is undefined and the report leaves the CPU
 * columns empty.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";

const available = process.platform === "linux" && existsSync("/proc/self/stat");
const ticksPerS = available ? Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100 : 100;

function cpuMsOf(statPath) {
  try {
    const text = readFileSync(statPath, "utf8");
    // Fields after the command: state ppid … utime (14th field overall) stime (15th).
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerS;
  } catch {
    return undefined;
  }
}

/** `{ totalMs, mainMs }` of `pid` so far; undefined off Linux or once the process is gone. */
export function serverCpuMs(pid) {
  if (!available) return undefined;
  const totalMs = cpuMsOf(`/proc/${pid}/stat`);
  const mainMs = cpuMsOf(`/proc/${pid}/task/${pid}/stat`);
  return totalMs === undefined || mainMs === undefined ? undefined : { totalMs, mainMs };
}

/** Busy milliseconds of all cores together since boot, from /proc/stat; undefined off Linux. */
function machineBusyMs() {
  if (!available) return undefined;
  const fields = readFileSync("/proc/stat", "utf8").split("\n", 1)[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already inside user and nice).
  const [user, nice, system, , , irq, softirq, steal] = fields;
  return ((user + nice + system + irq + softirq + (steal ?? 0)) * 1000) / ticksPerS;
}

/**
 * Starts counting the server's CPU, this process's (the load generator's) and the whole machine's;
 * `stop()` returns the milliseconds each spent since.
 */
export function startCpuCount(serverPid) {
  const server0 = serverCpuMs(serverPid);
  const bench0 = process.cpuUsage();
  const machine0 = machineBusyMs();
  return {
    stop() {
      const server1 = serverCpuMs(serverPid);
      const bench = process.cpuUsage(bench0);
      const machine1 = machineBusyMs();
      return {
        serverMs: server0 && server1 ? server1.totalMs - server0.totalMs : undefined,
        serverMainMs: server0 && server1 ? server1.mainMs - server0.mainMs : undefined,
        benchMs: (bench.user + bench.system) / 1000,
        machineMs: machine0 === undefined ? undefined : machine1 - machine0,
      };
    },
  };
}

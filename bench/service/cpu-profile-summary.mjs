/**
 * Reads the `.cpuprofile` files `node --cpu-prof` wrote (the server's main thread, and one per
 * worker thread) and lists where the self time went: shares by origin (flockflow's `dist/`, other
 * packages, Node's internals, GC and idle) and the functions with the most self time, overall and
 * inside flockflow. Self time per sample is the sample's time delta, as DevTools counts it.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

const TOP = 15;

function origin(url, functionName) {
  if (!url) return functionName === "(idle)" ? "idle" : functionName === "(garbage collector)" ? "GC" : functionName === "(program)" ? "program (native, unattributed)" : "native";
  if (url.startsWith("node:")) return "Node internals";
  if (url.includes("/node_modules/")) return `package ${/\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)[1]}`;
  if (url.includes("/dist/")) return "flockflow dist/";
  return "other";
}

const where = (url, line) => {
  if (!url) return "";
  const marker = url.lastIndexOf("/node_modules/");
  const short = marker >= 0 ? url.slice(marker + "/node_modules/".length) : url.includes("/dist/") ? url.slice(url.lastIndexOf("/dist/") + 1) : url.replace(/^file:\/\//, "");
  return `${short}:${line + 1}`;
};

/** Self time by function and by origin for one profile. */
export function summariseCpuProfile(profile) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map();
  for (let i = 0; i < profile.samples.length; i++) selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
  const functions = new Map();
  const origins = new Map();
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    const name = functionName || "(anonymous)";
    const key = `${name}\u0000${url}\u0000${lineNumber}`;
    const entry = functions.get(key) ?? { name, at: where(url, lineNumber), origin: origin(url, functionName), us: 0 };
    entry.us += us;
    functions.set(key, entry);
    origins.set(entry.origin, (origins.get(entry.origin) ?? 0) + us);
    totalUs += us;
  }
  const sorted = [...functions.values()].sort((a, b) => b.us - a.us);
  return { totalUs, origins: [...origins].sort((a, b) => b[1] - a[1]), functions: sorted };
}

/**
 * Markdown for the `.cpuprofile` files in `dir`: tables for the busiest (the server's main thread),
 * one line for each of the others (worker threads; their "busy" includes time blocked waiting).
 */
export function summariseCpuProfiles(dir) {
  const files = readdirSync(dir).filter((name) => name.endsWith(".cpuprofile"));
  if (files.length === 0) return `No .cpuprofile in ${dir}.`;
  const summaries = files.map((name) => {
    const summary = summariseCpuProfile(JSON.parse(readFileSync(path.join(dir, name), "utf8")));
    return { name, ...summary, busyUs: summary.totalUs - (summary.origins.find(([o]) => o === "idle")?.[1] ?? 0) };
  });
  summaries.sort((a, b) => b.busyUs - a.busyUs);
  const ms = (us) => `${(us / 1000).toFixed(0)} ms`;
  const [main, ...rest] = summaries;
  const pct = (us) => `${((100 * us) / main.busyUs).toFixed(1)} %`;
  const out = [`### ${main.name}: ${ms(main.totalUs)} sampled, ${ms(main.busyUs)} busy (shares below are of the busy time)`, ""];
  out.push("| Origin | Self time | Share |", "| --- | ---: | ---: |");
  for (const [name, us] of main.origins) if (name !== "idle") out.push(`| ${name} | ${ms(us)} | ${pct(us)} |`);
  out.push("", "| Function (all origins) | Where | Self time | Share |", "| --- | --- | ---: | ---: |");
  for (const f of main.functions.filter((f) => f.origin !== "idle").slice(0, TOP)) out.push(`| \`${f.name}\` | ${f.at || f.origin} | ${ms(f.us)} | ${pct(f.us)} |`);
  out.push("", "| Function in flockflow `dist/` | Where | Self time | Share |", "| --- | --- | ---: | ---: |");
  for (const f of main.functions.filter((f) => f.origin === "flockflow dist/").slice(0, TOP)) out.push(`| \`${f.name}\` | ${f.at} | ${ms(f.us)} | ${pct(f.us)} |`);
  if (rest.length > 0) {
    out.push("", `Other threads (${rest.length}; time blocked in \`Atomics.wait\` counts as busy here):`, "");
    for (const s of rest) out.push(`- ${s.name}: ${ms(s.totalUs)} sampled, top: ${s.functions.slice(0, 2).map((f) => `\`${f.name}\` ${ms(f.us)}`).join(", ")}`);
  }
  return out.join("\n");
}

// `node bench/service/cpu-profile-summary.mjs DIR` summarises profiles taken by hand.
if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(`${summariseCpuProfiles(process.argv[2] ?? ".")}\n`);

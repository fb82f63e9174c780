/**
 * Keeps the dependency direction of STYLE.md honest: cli/server/triggers → runtime → engine →
 * nodes → llm/sandbox/tools/templates → model/config/errors. Arrows point down only.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const src = path.resolve(import.meta.dirname, "../src");

/** What each top-level folder may import (besides itself). */
const ALLOWED: Record<string, string[]> = {
  "errors.ts": [],
  signals: [],
  model: ["errors.ts"],
  config: ["errors.ts", "model"],
  templates: ["errors.ts"],
  tools: ["signals", "errors.ts", "model"],
  sandbox: ["signals", "errors.ts"],
  "mock-llm": ["errors.ts"],
  llm: ["signals", "errors.ts", "model"],
  nodes: ["signals", "errors.ts", "model", "tools", "sandbox", "templates", "config", "llm"],
  engine: ["signals", "errors.ts", "model", "nodes"],
  runtime: ["signals", "errors.ts", "model", "config", "engine", "nodes", "sandbox", "tools", "llm"],
  triggers: ["errors.ts", "model"],
  store: ["errors.ts", "model", "engine"],
  server: ["errors.ts", "model", "config", "runtime", "engine", "store", "triggers"],
  cli: ["errors.ts", "model", "config", "runtime", "engine", "index.ts", "mock-llm", "server", "store"],
  "index.ts": ["errors.ts", "model", "config", "runtime", "engine", "tools", "mock-llm", "nodes"],
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? files(full) : /\.(ts|js)$/.test(name) ? [full] : [];
  });
}

const area = (file: string) => path.relative(src, file).split(path.sep)[0]!;

describe("import graph", () => {
  it("every relative import points down the layer stack", () => {
    const violations: string[] = [];
    for (const file of files(src)) {
      const from = area(file);
      const allowed = ALLOWED[from];
      if (!allowed) {
        violations.push(`${path.relative(src, file)}: folder '${from}' has no rule in test/architecture.test.ts`);
        continue;
      }
      const text = readFileSync(file, "utf8");
      for (const match of text.matchAll(/(?:import|export)[^"']*?from\s+["'](\.[^"']+)["']/g)) {
        const target = area(path.resolve(path.dirname(file), match[1]!).replace(/\.js$/, ".ts"));
        if (target !== from && !allowed.includes(target)) violations.push(`${path.relative(src, file)} imports ${match[1]} (${from} → ${target})`);
      }
    }
    expect(violations).toEqual([]);
  });
});

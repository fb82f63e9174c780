/**
 * A real service for tests: `startService` on 127.0.0.1, port 0, in temporary folders, with a known
 * bearer token and HOME pointing at an empty folder (no developer config leaks in). Requests go
 * over real HTTP (`api`) or through `inject()` where sockets do not matter.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { FlockflowConfig } from "../../../src/config/load-config.js";
import { startService, type Service } from "../../../src/server/index.js";

export const TOKEN = "test-token-0123456789";
export const AUTH = { authorization: `Bearer ${TOKEN}` };

export interface TestService {
  service: Service;
  url: string;
  dir: string;
  dataDir: string;
  workflowsDir: string;
  logs: string[];
  api(method: string, route: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
  close(graceMs?: number): Promise<void>;
}

export interface TestServiceOptions {
  config?: FlockflowConfig;
  server?: Record<string, unknown>;
  workflows?: Record<string, unknown>;
  toolModules?: string[];
  dir?: string;
  env?: NodeJS.ProcessEnv;
}

export function tempDir(prefix = "flockflow-server-"): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function writeWorkflow(root: string, id: string, workflow: unknown, extra: { markdown?: string; meta?: unknown } = {}): string {
  const dir = path.join(root, id);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "workflow.json"), JSON.stringify(workflow, null, 2));
  if (extra.markdown !== undefined) writeFileSync(path.join(dir, "workflow.md"), extra.markdown);
  if (extra.meta !== undefined) writeFileSync(path.join(dir, "meta.json"), JSON.stringify(extra.meta));
  return dir;
}

export async function startTestService(options: TestServiceOptions = {}): Promise<TestService> {
  const dir = options.dir ?? tempDir();
  const dataDir = path.join(dir, "data");
  const workflowsDir = path.join(dir, "workflows");
  const home = path.join(dir, "home");
  mkdirSync(home, { recursive: true });
  for (const [id, workflow] of Object.entries(options.workflows ?? {})) writeWorkflow(workflowsDir, id, workflow);
  const logs: string[] = [];
  const config: FlockflowConfig = { ...options.config, server: { api_tokens: [TOKEN], watch_interval_ms: 100, ...options.server } };
  const service = await startService({
    host: "127.0.0.1",
    port: 0,
    dataDir,
    workflowDirs: [workflowsDir],
    config,
    toolModules: options.toolModules,
    env: { PATH: process.env.PATH, HOME: home, ...options.env },
    log: (line) => logs.push(line),
  });
  const api: TestService["api"] = async (method, route, body, headers = AUTH) => {
    const init: RequestInit = { method, headers: { ...headers } };
    if (body !== undefined) {
      init.body = typeof body === "string" ? body : JSON.stringify(body);
      (init.headers as Record<string, string>)["content-type"] ??= "application/json";
    }
    const response = await fetch(`${service.url}${route}`, init);
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text === "" ? null : JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed, headers: response.headers };
  };
  return { service, url: service.url, dir, dataDir, workflowsDir, logs, api, close: (graceMs = 0) => service.close(graceMs) };
}

/** Polls `check` every 10 ms until it returns a value other than undefined. */
export async function until<T>(check: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Reads an SSE stream to its end: `[{event, id, data}]`. */
export async function readSse(url: string, headers: Record<string, string> = AUTH): Promise<Array<{ event: string; id: string; data: any }>> {
  const response = await fetch(url, { headers });
  if (response.status !== 200) throw new Error(`SSE answered ${response.status}: ${await response.text()}`);
  const text = await response.text();
  return parseSse(text);
}

export function parseSse(text: string): Array<{ event: string; id: string; data: any }> {
  const events: Array<{ event: string; id: string; data: any }> = [];
  for (const block of text.split("\n\n")) {
    if (block.trim() === "" || block.startsWith(":")) continue;
    const fields: Record<string, string> = {};
    for (const line of block.split("\n")) {
      const i = line.indexOf(": ");
      if (i > 0) fields[line.slice(0, i)] = line.slice(i + 2);
    }
    events.push({ event: fields.event!, id: fields.id!, data: JSON.parse(fields.data!) });
  }
  return events;
}

/** Simple workflows used across the service tests. */
export const WORKFLOWS = {
  twoSteps: {
    name: "two steps",
    start: "a",
    nodes: [
      { id: "a", type: "javascript", code: "outputs.greeting = 'hi ' + inputs.name;" },
      { id: "b", type: "javascript", code: "outputs.upper = inputs.greeting.toUpperCase(); console.log('upper done');" },
    ],
    edges: [{ from: "a", to: "b" }],
  },
  /** `a` at once, then the `sleep` tool of test/fixtures/server/tools.mjs for `inputs.ms`. */
  sleepy: {
    name: "sleepy",
    start: "a",
    nodes: [
      { id: "a", type: "javascript", code: "outputs.ms = inputs.ms ?? 30000;" },
      { id: "nap", type: "tool", tool_name: "sleep" },
    ],
    edges: [{ from: "a", to: "nap" }],
  },
  llm: {
    name: "llm",
    start: "ask",
    nodes: [{ id: "ask", type: "llm", prompt: "Say something about {{ topic }}", output_key: "answer" }],
    edges: [],
  },
} as const;

export const TOOLS_FIXTURE = path.resolve(import.meta.dirname, "../../fixtures/server/tools.mjs");

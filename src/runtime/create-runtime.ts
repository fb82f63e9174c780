/**
 * The runtime: the long-lived owner of everything runs share — the tool registry, the JavaScript
 * worker pool and the HTTP dispatcher. Runs borrow them; only `close()` releases them, after it has
 * cancelled the runs still in flight and waited for their work to stop.
 */
import { randomFillSync } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { Agent } from "undici";
import { InvalidOptionError, RuntimeClosedError, WorkflowValidationError, type ValidationIssue } from "../errors.js";
import { loadConfig, type FlockflowConfig } from "../config/load-config.js";
import { LlmRuntime } from "../llm/llm-runtime.js";
import { parseLlmSettings } from "../llm/llm-config.js";
import { isPlainObject } from "../model/get-path.js";
import { isBlockingFinding, lintWorkflow } from "../model/lint-workflow.js";
import { loadWorkflow, validateWorkflow } from "../model/load-workflow.js";
import type { Workflow } from "../model/types.js";
import { startWorkflowRun, type EngineDeps, type RunHandle } from "../engine/run-workflow.js";
import type { RunLlmOverrides } from "../nodes/index.js";
import type { EngineRunOptions, EventListener, HistoryMode, RunResult, StepRecord } from "../engine/types.js";
import { JsWorkerPool } from "../sandbox/js/js-worker-pool.js";
import { PythonPool } from "../sandbox/python/python-pool.js";
import { builtinTools } from "../tools/builtin/index.js";
import { loadToolModule } from "../tools/load-tool-modules.js";
import { ToolRegistry, type ToolEntry } from "../tools/tool-registry.js";
import { defaultLookup, findSubworkflowFile } from "./find-subworkflow.js";

export interface RuntimeOptions {
  /**
   * A config object, or a path to a config file. The library reads no file unless told to (the CLI
   * discovers one per SPEC §6 and passes its path); default: an empty config.
   */
  config?: FlockflowConfig | string;
  /** Tools by name, added after the config's tool modules. */
  tools?: Record<string, ToolEntry>;
  /** Tools module paths (the CLI's `--tools`), loaded after the config's. */
  toolModules?: string[];
  /** Extra sub-workflow roots (the CLI's `--workflows`), searched before config `workflows.dirs`. */
  workflowDirs?: string[];
  /** Most JavaScript worker threads alive at once (default 8). */
  maxWorkers?: number;
  /** Memory limit of each JavaScript worker, in MB (default 256). */
  workerMemoryMb?: number;
  /** flockflow's data folder (default: config `data.dir`, else `~/.flockflow/data`). */
  dataDir?: string;
  /** The folder code nodes write reports to (default: config `workspace.dir`, else `~/.flockflow/workspace`). */
  workspaceDir?: string;
  /** The Python interpreter for python nodes (default: config `python.executable`, else `python3`). */
  pythonExecutable?: string;
  /** Environment for `OPENAI_API_KEY` / `OPENAI_BASE_URL` and proxy variables (default process.env). */
  env?: NodeJS.ProcessEnv;
}

export interface RunOptions {
  inputs?: Record<string, unknown>;
  signal?: AbortSignal;
  /** Run wall-clock budget in seconds. */
  timeoutS?: number;
  /** The workflow's node timeout in seconds (node `timeout_s` still wins); 0 or null = none. */
  nodeTimeoutS?: number | null;
  maxParallel?: number;
  historyMode?: HistoryMode;
  onEvent?: EventListener;
  /**
   * Called with each step's full record as soon as the engine has recorded it — what a store needs
   * so that a crash loses no finished step.
   */
  onStep?: (step: StepRecord) => void;
  runId?: string;
  stopOnError?: boolean;
  maxSteps?: number;
  /**
   * Run-level LLM override: `model`/`providerId` for calls that name none, and an api key, base URL
   * or proxy policy applied through a derived provider view (the shared registry is never written).
   */
  llm?: RunLlmOverrides;
}

export interface Runtime {
  run(workflow: Workflow | string | Record<string, unknown>, options?: RunOptions): Promise<RunResult>;
  /** Load, validate and lint; throws WorkflowValidationError on blocking issues. */
  prepare(workflow: Workflow | string | Record<string, unknown>): Promise<{ workflow: Workflow; warnings: ValidationIssue[] }>;
  readonly tools: ToolRegistry;
  /** The process-wide LLM runtime (providers, connection pools) this runtime owns. */
  readonly llm: LlmRuntime;
  close(): Promise<void>;
}

export function createRuntime(options: RuntimeOptions = {}): Runtime {
  const loaded = typeof options.config === "string" ? loadConfig({ explicitPath: options.config }) : { config: options.config ?? {}, source: undefined };
  const config: FlockflowConfig = loaded.config;
  const llm = new LlmRuntime({ config, env: options.env, configSource: loaded.source });
  const tools = new ToolRegistry();
  const jsPool = new JsWorkerPool({ maxWorkers: options.maxWorkers, memoryLimitMb: options.workerMemoryMb });
  const httpDispatcher = new Agent({ connections: 64, keepAliveTimeout: 4_000 });
  const env = options.env ?? process.env;
  const home = env.HOME ?? os.homedir();
  const dataDir = options.dataDir ?? config.data?.dir ?? path.join(home, ".flockflow", "data");
  const workspaceDir = options.workspaceDir ?? config.workspace?.dir ?? path.join(home, ".flockflow", "workspace");
  const pythonPool = new PythonPool({
    executable: options.pythonExecutable ?? config.python?.executable,
    maxWorkers: config.python?.max_workers,
    workspaceDir,
    dataDir,
    env,
  });
  const workflowDirs = [...(options.workflowDirs ?? []), ...(config.workflows?.dirs ?? [])];
  const lookup = defaultLookup(workflowDirs);
  const deps: EngineDeps = {
    services: { tools, jsPool, httpDispatcher, llm, dataDir, pythonPool, workspaceDir },
    resolveSubworkflow: async (id, parent) => loadWorkflow(findSubworkflowFile(id, parent, lookup)),
  };
  const active = new Set<RunHandle>();
  let closed = false;

  // Built-ins first, so a user tool with the same name replaces one.
  const allowedDirs = (config.tools?.allowed_dirs ?? []).map((dir) => path.resolve(dir));
  tools.registerAll(builtinTools({ workspaceDir, allowedDirs, homeDir: home }));
  const toolsReady = (async () => {
    for (const modulePath of [...(config.tools?.modules ?? []), ...(options.toolModules ?? [])]) {
      tools.registerAll(await loadToolModule(modulePath));
    }
    if (options.tools) tools.registerAll(options.tools);
  })();
  toolsReady.catch(() => {});

  async function prepare(source: Workflow | string | Record<string, unknown>): Promise<{ workflow: Workflow; warnings: ValidationIssue[] }> {
    const workflow = await resolveWorkflow(source);
    const { blocking, warnings } = lintOnce(workflow);
    checkLlmMetadata(workflow);
    if (blocking.length > 0) throw new WorkflowValidationError(blocking, workflow.sourcePath);
    return { workflow, warnings };
  }

  async function run(source: Workflow | string | Record<string, unknown>, runOptions: RunOptions = {}): Promise<RunResult> {
    if (closed) throw new RuntimeClosedError();
    const engineOptions = toEngineOptions(runOptions);
    await toolsReady;
    const { workflow } = await prepare(source);
    if (closed) throw new RuntimeClosedError();
    // close() cancels through the handle.
    const handle = startWorkflowRun(workflow, engineOptions, deps);
    active.add(handle);
    try {
      return await handle.result;
    } finally {
      active.delete(handle);
    }
  }

  async function close(): Promise<void> {
    if (closed) return;
    closed = true;
    const running = [...active];
    for (const handle of running) handle.cancel();
    await Promise.allSettled(running.map((handle) => handle.result));
    await Promise.all([jsPool.close(), pythonPool.close()]);
    await Promise.all([httpDispatcher.destroy(), llm.close()]);
  }

  return { run, prepare, tools, llm, close };
}

/** `metadata.llm` problems are workflow errors with a location, reported before the run starts. */
function checkLlmMetadata(workflow: Workflow): void {
  try {
    parseLlmSettings(workflow.metadata.llm, "metadata.llm");
  } catch (error) {
    const keyPath = (error as { keyPath?: string }).keyPath ?? "metadata.llm";
    const message = (error as Error).message.replace(`${keyPath}: `, "");
    throw new WorkflowValidationError([{ location: keyPath, rule: "type", message, severity: "error" }], workflow.sourcePath);
  }
}

/** Lint results per workflow object: a workflow run many times is linted once (like planFor). */
const lintCache = new WeakMap<Workflow, { blocking: ValidationIssue[]; warnings: ValidationIssue[] }>();

function lintOnce(workflow: Workflow): { blocking: ValidationIssue[]; warnings: ValidationIssue[] } {
  let cached = lintCache.get(workflow);
  if (!cached) {
    const toIssue = (f: ReturnType<typeof lintWorkflow>[number]): ValidationIssue => ({ location: f.location, rule: f.kind, message: f.message, severity: f.severity });
    const findings = lintWorkflow(workflow);
    cached = { blocking: findings.filter(isBlockingFinding).map(toIssue), warnings: findings.filter((f) => !isBlockingFinding(f)).map(toIssue) };
    lintCache.set(workflow, cached);
  }
  return cached;
}

async function resolveWorkflow(source: Workflow | string | Record<string, unknown>): Promise<Workflow> {
  if (typeof source === "string") return loadWorkflow(source);
  if (isNormalisedWorkflow(source)) return source;
  return validateWorkflow(source);
}

function isNormalisedWorkflow(value: unknown): value is Workflow {
  return isPlainObject(value) && Array.isArray(value.nodes) && value.nodes.every((n) => isPlainObject(n) && typeof n.index === "number" && typeof n.join === "boolean");
}

function toEngineOptions(options: RunOptions): EngineRunOptions {
  const inputs = options.inputs ?? {};
  if (!isPlainObject(inputs)) throw new InvalidOptionError("inputs must be a JSON object");
  const maxParallel = options.maxParallel ?? 4;
  if (!Number.isInteger(maxParallel) || maxParallel < 1) throw new InvalidOptionError("maxParallel must be an integer >= 1");
  const historyMode = options.historyMode ?? "summary";
  if (historyMode !== "full" && historyMode !== "summary") throw new InvalidOptionError('historyMode must be "full" or "summary"');
  if (options.timeoutS !== undefined && !(options.timeoutS > 0)) throw new InvalidOptionError("timeoutS must be a positive number of seconds");
  const nodeTimeoutS = options.nodeTimeoutS;
  if (nodeTimeoutS !== undefined && nodeTimeoutS !== null && !(nodeTimeoutS >= 0)) {
    throw new InvalidOptionError("nodeTimeoutS must be a number of seconds >= 0");
  }
  const maxSteps = options.maxSteps ?? 10_000;
  if (!Number.isInteger(maxSteps) || maxSteps < 1) throw new InvalidOptionError("maxSteps must be an integer >= 1");
  return {
    runId: options.runId?.trim() || newRunId(),
    inputs,
    // The caller's signal goes to the engine as is (any abort of it is a cancel).
    signal: options.signal,
    runTimeoutMs: options.timeoutS === undefined ? undefined : options.timeoutS * 1000,
    nodeTimeoutMs: nodeTimeoutS === undefined ? undefined : nodeTimeoutS === null ? 0 : nodeTimeoutS * 1000,
    maxParallel,
    historyMode,
    maxSteps,
    stopOnError: options.stopOnError ?? true,
    onEvent: options.onEvent,
    onStep: options.onStep,
    depth: 0,
    llm: options.llm,
  };
}

/**
 * A run id: a random (version 4) UUID without its dashes. The random bytes are drawn 2 KB at a
 * time, as `randomUUID` does, and each id is hex-encoded in one call, where `randomUUID` builds
 * the dashed string piece by piece and the dashes then had to be stripped (~10 µs per run at the
 * start of a run after a wait, with cold caches).
 */
const idBytes = Buffer.alloc(16 * 128);
let idOffset = idBytes.length;

function newRunId(): string {
  if (idOffset === idBytes.length) {
    randomFillSync(idBytes);
    idOffset = 0;
  }
  const at = idOffset;
  idOffset += 16;
  idBytes[at + 6] = (idBytes[at + 6]! & 0x0f) | 0x40; // version 4
  idBytes[at + 8] = (idBytes[at + 8]! & 0x3f) | 0x80; // RFC 4122 variant
  return idBytes.toString("hex", at, at + 16);
}

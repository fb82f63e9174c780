/**
 * `flockflow serve` without the command line: reads the config, opens the run store, the workflow
 * folders, the runtime and the trigger manager, builds the app and listens. `close(graceMs)` is the
 * graceful shutdown of SPEC §7:
 *
 * 1. stop accepting: triggers stop firing, the listening socket closes, new requests on open
 *    connections get 503, no new run starts;
 * 2. running runs get `graceMs` to finish, then the rest are cancelled and awaited (their work
 *    stopped and their final record written);
 * 3. the HTTP server finishes (waiting clients got their answers, event streams ended), then the
 *    runtime (pools, workers) and the store close.
 */
import { rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { loadConfig, type FlockflowConfig } from "../config/load-config.js";
import { validateWorkflowValue } from "../model/validate-workflow.js";
import type { Workflow } from "../model/types.js";
import { createRuntime, type Runtime } from "../runtime/create-runtime.js";
import { RunStore } from "../store/index.js";
import { TriggerManager } from "../triggers/index.js";
import type { StartTriggerRun } from "../triggers/types.js";
import { resolveApiTokens, type ResolvedTokens } from "./api-tokens.js";
import { buildApp } from "./build-app.js";
import { PreparedWorkflows } from "./prepared-workflows.js";
import { RunManager } from "./run-manager.js";
import { createSecretResolver } from "./secrets.js";
import { parseServerSettings, type ServerSettings } from "./server-config.js";
import { WorkflowFolders, type WorkflowDraft } from "./workflow-folders.js";

export const DEFAULT_PORT = 8787;
export const DEFAULT_HOST = "127.0.0.1";
const CONNECTION_DRAIN_MS = 1000;
const READINESS_PROBE = { start: "ready", nodes: [{ id: "ready", type: "branch" }], edges: [] };

export interface ServiceOptions {
  host?: string;
  port?: number;
  dataDir?: string;
  /** `--workflows` roots, before config `workflows.dirs`. */
  workflowDirs?: string[];
  /** A config file to read (the CLI resolves discovery), or a config object. */
  config?: string | FlockflowConfig;
  toolModules?: string[];
  env?: NodeJS.ProcessEnv;
  /** Seconds running runs get on close (default: config `server.shutdown_grace_s`, else 3). */
  shutdownGraceS?: number;
  log?: (line: string) => void;
}

export interface Service {
  readonly app: FastifyInstance;
  /** `http://HOST:PORT` with the real port. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Set only on the first start, when the token was generated now (print it once). */
  readonly generatedToken: string | undefined;
  readonly tokenFile: string | undefined;
  readonly dataDir: string;
  readonly settings: ServerSettings;
  readonly store: RunStore;
  readonly runs: RunManager;
  readonly folders: WorkflowFolders;
  readonly runtime: Runtime;
  readonly triggers: TriggerManager;
  /** Graceful shutdown; idempotent. */
  close(graceMs?: number): Promise<void>;
}

export async function startService(options: ServiceOptions = {}): Promise<Service> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const loaded = typeof options.config === "string" ? loadConfig({ explicitPath: options.config, env }) : { config: options.config ?? {}, source: undefined };
  const config = loaded.config;
  const settings = parseServerSettings(config.server, loaded.source);
  const home = env.HOME ?? os.homedir();
  const dataDir = path.resolve(options.dataDir ?? config.data?.dir ?? path.join(home, ".flockflow", "data"));
  const roots = [...(options.workflowDirs ?? []), ...(config.workflows?.dirs ?? [])].map((dir) => path.resolve(dir));
  if (roots.length === 0) roots.push(path.join(home, ".flockflow", "workflows"));

  const store = new RunStore({ dataDir, retentionRuns: settings.retentionRuns, compaction: settings.compaction });
  let runtime: Runtime | undefined;
  let triggers: TriggerManager | undefined;
  let tokens: ResolvedTokens | undefined;
  try {
    tokens = resolveApiTokens({ configTokens: settings.apiTokens, env, dataDir });
    const folders = new WorkflowFolders(roots);
    runtime = createRuntime({ config: options.config ?? config, toolModules: options.toolModules, workflowDirs: roots, dataDir, env });
    const rt = runtime;
    // A tools module that does not load would fail every run; fail the start instead. A run of a
    // lone branch node waits for the tools to load and executes nothing.
    await rt.run(READINESS_PROBE, { runId: "startup-probe" });
    const runs = new RunManager({ runtime: rt, store, onError: (error, context) => log(`${context}: ${String(error)}`) });
    const prepared = new PreparedWorkflows(rt, folders, (workflow) => TriggerManager.validate(workflow));

    // Trigger runs take the same path as API runs: the current draft, recorded before the answer.
    const startTriggerRun: StartTriggerRun = async ({ workflowId, inputs, trigger }) => {
      const { workflow } = await prepared.draft(workflowId);
      const run = runs.start({ workflowId, workflow, releaseId: null, inputs, trigger: { ...trigger } });
      return { runId: run.runId, finished: run.finished.then(() => undefined) };
    };
    const manager = new TriggerManager({
      startRun: startTriggerRun,
      resolveSecret: createSecretResolver(env),
      onError: (error, context) => log(`trigger ${context.workflowId}/${context.triggerId}: ${String(error)}`),
    });
    triggers = manager;
    const syncTriggers = (id: string, draft: WorkflowDraft | undefined): void => manager.sync(id, runnableTriggers(draft, log));
    folders.onChange(syncTriggers);
    for (const id of folders.ids()) syncTriggers(id, folders.read(id));
    const poll = setInterval(() => {
      try {
        folders.pollChanges();
      } catch (error) {
        log(`workflow folders: ${String(error)}`);
      }
    }, settings.watchIntervalMs);
    poll.unref();

    const app = buildApp({
      runtime: rt,
      store,
      folders,
      runs,
      prepared,
      triggers: manager,
      tokens: tokens.tokens,
      bodyLimitBytes: settings.bodyLimitBytes,
      webhookBodyLimitBytes: settings.webhookBodyLimitBytes,
      invokeConcurrency: settings.invokeConcurrency,
      invokeTimeoutS: settings.invokeTimeoutS,
      publicUrl: settings.publicUrl,
      log,
    });
    const host = options.host ?? settings.host ?? DEFAULT_HOST;
    await app.listen({ host, port: options.port ?? settings.port ?? DEFAULT_PORT });
    const address = app.server.address() as AddressInfo;
    const url = `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`;
    const defaultGraceMs = (options.shutdownGraceS ?? settings.shutdownGraceS) * 1000;

    let closing: Promise<void> | undefined;
    const close = (graceMs = defaultGraceMs): Promise<void> => {
      closing ??= (async () => {
        clearInterval(poll);
        manager.close();
        const serverClosed = app.close();
        await runs.shutdown(graceMs);
        // Every run is recorded and its waiting clients are being answered; give those answers a
        // moment to flush, then end whatever connection is left.
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([serverClosed, new Promise((resolve) => (timer = setTimeout(resolve, CONNECTION_DRAIN_MS)))]);
        clearTimeout(timer);
        app.server.closeAllConnections();
        await serverClosed;
        await rt.close();
        store.close();
      })();
      return closing;
    };

    return {
      app,
      url,
      host: address.address,
      port: address.port,
      generatedToken: tokens.generated,
      tokenFile: tokens.file,
      dataDir,
      settings,
      store,
      runs,
      folders,
      runtime: rt,
      triggers: manager,
      close,
    };
  } catch (error) {
    triggers?.close();
    await runtime?.close();
    store.close();
    // A token generated by a start that failed was never shown: the next start makes a new one.
    if (tokens?.generated !== undefined && tokens.file) rmSync(tokens.file, { force: true });
    throw error;
  }
}

/** The workflow a trigger manager should run for a draft: undefined when missing or invalid. */
function runnableTriggers(draft: WorkflowDraft | undefined, log: (line: string) => void): Workflow | undefined {
  if (!draft || draft.parseIssues.length > 0) {
    if (draft) log(`workflow ${draft.id}: invalid JSON; its triggers are stopped`);
    return undefined;
  }
  const { workflow } = validateWorkflowValue(draft.value);
  if (!workflow) {
    log(`workflow ${draft.id}: invalid; its triggers are stopped`);
    return undefined;
  }
  workflow.sourcePath = draft.file;
  return workflow;
}

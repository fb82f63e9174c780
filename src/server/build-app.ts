/**
 * The HTTP service (SPEC §7) as a Fastify instance, without listening: tests drive it with
 * `inject()` or `listen({port: 0})`, `create-service.ts` listens for real.
 *
 * - Authentication is a root `onRequest` hook (auth.ts): 401 before parsing, validation or routing.
 * - Every body has a JSON schema. Ajv neither coerces nor strips: `"wait": "yes"` and unknown
 *   fields are errors, not silently fixed, and the 400 names the field (`body/inputs must be object`).
 * - Errors are always `{error, ...}` (http-errors.ts); an invalid workflow is `{error, issues}`.
 * - Route files, one per resource: health, workflows, runs, releases (publish), invoke, webhooks.
 */
import { readFileSync } from "node:fs";
import Fastify, { type FastifyInstance } from "fastify";
import type { ValidationIssue } from "../errors.js";
import type { Workflow } from "../model/types.js";
import type { Runtime } from "../runtime/create-runtime.js";
import type { RunStore } from "../store/index.js";
import { TriggerManager } from "../triggers/index.js";
import type { AppContext, ServiceTriggers } from "./app-context.js";
import { createBearerAuthHook, TokenSet } from "./auth.js";
import { createErrorHandler, formatSchemaError } from "./http-errors.js";
import { PreparedWorkflows } from "./prepared-workflows.js";
import { registerHealthRoutes } from "./routes/health.js";
import { registerInvokeRoutes } from "./routes/invoke.js";
import { registerReleaseRoutes } from "./routes/releases.js";
import { registerRunRoutes } from "./routes/runs.js";
import { registerWebhookRoutes } from "./routes/webhooks.js";
import { registerWorkflowRoutes } from "./routes/workflows.js";
import { RunManager } from "./run-manager.js";
import { DEFAULT_BODY_LIMIT_BYTES } from "./server-config.js";
import type { WorkflowFolders } from "./workflow-folders.js";

export interface BuildAppOptions {
  runtime: Runtime;
  store: RunStore;
  folders: WorkflowFolders;
  triggers: ServiceTriggers;
  /** Bearer tokens accepted on protected routes. */
  tokens: TokenSet | readonly string[];
  /** The service's run manager; one is created when not given. */
  runs?: RunManager;
  /** Trigger rules checked on save; default `TriggerManager.validate`. */
  validateTriggers?: (workflow: Workflow) => ValidationIssue[];
  /** Shared cache of checked workflows; one is created when not given. */
  prepared?: PreparedWorkflows;
  version?: string;
  bodyLimitBytes?: number;
  webhookBodyLimitBytes?: number;
  invokeConcurrency?: number;
  invokeTimeoutS?: number;
  publicUrl?: string;
  /** Where unexpected errors are reported (default stderr). */
  log?: (line: string) => void;
}

export interface RouteSummary {
  method: string;
  url: string;
  public: boolean;
}

const routeTables = new WeakMap<FastifyInstance, RouteSummary[]>();

export function buildApp(options: BuildAppOptions): FastifyInstance {
  const log = options.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const runs = options.runs ?? new RunManager({ runtime: options.runtime, store: options.store, onError: (error, context) => log(`${context}: ${String(error)}`) });
  const tokens = options.tokens instanceof TokenSet ? options.tokens : new TokenSet(options.tokens);
  const ctx: AppContext = {
    runtime: options.runtime,
    store: options.store,
    folders: options.folders,
    runs,
    prepared:
      options.prepared ??
      new PreparedWorkflows(options.runtime, options.folders, options.validateTriggers ?? ((workflow) => TriggerManager.validate(workflow))),
    triggers: options.triggers,
    version: options.version ?? packageVersion(),
    invokeConcurrency: options.invokeConcurrency ?? 16,
    invokeTimeoutS: options.invokeTimeoutS ?? 300,
    webhookBodyLimitBytes: options.webhookBodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    publicUrl: options.publicUrl,
    log,
  };

  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    forceCloseConnections: "idle",
    return503OnClosing: true,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false, useDefaults: false } },
    schemaErrorFormatter: formatSchemaError,
  });

  const routes: RouteSummary[] = [];
  routeTables.set(app, routes);
  app.addHook("onRoute", (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const isPublic = (route.config as { public?: boolean } | undefined)?.public === true;
    for (const method of methods) routes.push({ method, url: route.url, public: isPublic });
  });
  app.addHook("onRequest", createBearerAuthHook(tokens));
  app.setErrorHandler(createErrorHandler(log));
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ error: `not found: ${request.method} ${request.url.split("?")[0]}` });
  });

  registerHealthRoutes(app, ctx);
  registerWorkflowRoutes(app, ctx);
  registerRunRoutes(app, ctx);
  registerReleaseRoutes(app, ctx);
  registerInvokeRoutes(app, ctx);
  registerWebhookRoutes(app, ctx);
  return app;
}

/** Every route registered on an app built by `buildApp` (tests walk it to check auth). */
export function routesOf(app: FastifyInstance): RouteSummary[] {
  return [...(routeTables.get(app) ?? [])];
}

/** src/server and dist/server both sit two levels below the package root. */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

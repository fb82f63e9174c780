/** What the routes share: built once by `buildApp` from its options. */
import type { Workflow } from "../model/types.js";
import type { Runtime } from "../runtime/create-runtime.js";
import type { RunStore } from "../store/index.js";
import type { WebhookRequest, WebhookResponse } from "../triggers/types.js";
import type { PreparedWorkflows } from "./prepared-workflows.js";
import type { RunManager } from "./run-manager.js";
import type { WorkflowFolders } from "./workflow-folders.js";

/** The part of `TriggerManager` the service calls. */
export interface ServiceTriggers {
  sync(workflowId: string, workflow: Workflow | undefined): void;
  handleWebhook(workflowId: string, triggerId: string, request: WebhookRequest): Promise<WebhookResponse>;
}

export interface AppContext {
  runtime: Runtime;
  store: RunStore;
  folders: WorkflowFolders;
  runs: RunManager;
  prepared: PreparedWorkflows;
  triggers: ServiceTriggers;
  version: string;
  /** Most `/invoke` runs in flight per workflow; beyond → 429. */
  invokeConcurrency: number;
  /** `/invoke` run timeout; a request's `timeout_s` can only lower it. */
  invokeTimeoutS: number;
  webhookBodyLimitBytes: number;
  /** Base of `invokeUrl` in publish answers; default: from the request's Host. */
  publicUrl?: string;
  log(line: string): void;
}

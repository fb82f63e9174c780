/**
 * What a node executor receives and returns. One executor per node type (one file each in this
 * folder); the engine picks it by `node.type`. Executors never import the engine: everything they
 * need from it (running a child workflow, emitting events) comes in through the context.
 */
import type { Dispatcher } from "undici";
import type { LlmRuntime } from "../llm/llm-runtime.js";
import type { LlmCallOptions } from "./llm-session.js";
import type { Workflow, WorkflowNode } from "../model/types.js";
import type { HostCallHandler } from "../sandbox/protocol.js";
import type { JsWorkerPool } from "../sandbox/js/js-worker-pool.js";
import type { PythonPool } from "../sandbox/python/python-pool.js";
import type { ToolRegistry } from "../tools/tool-registry.js";

export interface NodeResult {
  outputs: Record<string, unknown>;
  /** Captured console/print output of code nodes. */
  stdout?: string;
}

export interface ChildRunResult {
  status: string;
  outputs: Record<string, unknown>;
  error: string | null;
}

/** Long-lived services owned by the runtime and shared by every run. */
export interface NodeServices {
  tools: ToolRegistry;
  jsPool: JsWorkerPool;
  /** The runtime's HTTP dispatcher for http_request nodes; closed by runtime.close(). */
  httpDispatcher: Dispatcher;
  /** The process's LLM runtime; undefined when the runtime was built without one. */
  llm: LlmRuntime | undefined;
  /** flockflow's data folder (caches such as generated logic-node code live under it). */
  dataDir: string;
  /** The Python worker processes for `python` (and Python `logic`) nodes. */
  pythonPool: PythonPool;
  /** The folder code nodes write reports to (config `workspace.dir`). */
  workspaceDir: string;
}

export interface NodeContext {
  runId: string;
  node: WorkflowNode;
  workflow: Workflow;
  /** This node's own deep copy of its payload: the executor may mutate it freely. */
  inputs: Record<string, unknown>;
  /**
   * Aborted when the node must stop: its reason is RunCancelledError (cancel) or TimeoutError
   * (`node` deadline or `run` deadline). An executor settles promptly after abort, with its work
   * stopped (workers terminated, requests aborted), rejecting with `signal.reason`.
   */
  signal: AbortSignal;
  services: NodeServices;
  /**
   * Ask the LLM under this node's signal, deadline and the run's LLM budget. Options use Flocks'
   * `llm.ask` keyword names (`model`, `provider_id`, `timeout_s`, `max_retries`, ...).
   */
  llm(prompt: string, options: LlmCallOptions, signal?: AbortSignal): Promise<string>;
  /** Serves tool and LLM calls made from code running in a sandbox for this node. */
  hostCalls: HostCallHandler;
  /** Runs a sub-workflow by id (lookup, depth limit, budget and cancellation handled by the engine). */
  runChild(workflowId: string, inputs: Record<string, unknown>, signal: AbortSignal): Promise<ChildRunResult>;
}

export type NodeExecutor = (ctx: NodeContext) => Promise<NodeResult>;

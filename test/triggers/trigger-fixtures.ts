/** Shared fixtures for trigger tests: a recording `startRun`, workflows, signed webhook requests. */
import { createHmac } from "node:crypto";
import type { Workflow, WorkflowTrigger } from "../../src/model/types.js";
import { TriggerManager } from "../../src/triggers/index.js";
import type { StartTriggerRun, TriggerIdentity, WebhookRequest } from "../../src/triggers/index.js";

export interface RecordedRun {
  runId: string;
  workflowId: string;
  inputs: Record<string, unknown>;
  trigger: TriggerIdentity;
  /** Settles the run's `finished`. */
  finish(): void;
}

export function recordingStartRun(): { startRun: StartTriggerRun; runs: RecordedRun[]; failNext(error: Error): void } {
  const runs: RecordedRun[] = [];
  let failure: Error | undefined;
  const startRun: StartTriggerRun = async (request) => {
    if (failure) {
      const error = failure;
      failure = undefined;
      throw error;
    }
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const run = { runId: `run-${runs.length + 1}`, ...request, finish };
    runs.push(run);
    return { runId: run.runId, finished };
  };
  return { startRun, runs, failNext: (error) => (failure = error) };
}

export function workflowWith(...triggers: Array<Record<string, unknown>>): Workflow {
  return { start: "a", nodes: [], edges: [], triggers: triggers as WorkflowTrigger[], metadata: {} };
}

export const SECRETS: Record<string, string> = { hook_key: "s3cret-key", hook_hmac: "hmac-secret" };

export function createManager(options: { now?: () => number } = {}) {
  const recorder = recordingStartRun();
  const errors: Array<{ error: unknown; context: { workflowId: string; triggerId: string } }> = [];
  const manager = new TriggerManager({
    startRun: recorder.startRun,
    resolveSecret: (ref) => SECRETS[ref],
    onError: (error, context) => errors.push({ error, context }),
    ...(options.now ? { now: options.now } : {}),
  });
  return { manager, ...recorder, errors };
}

export function jsonRequest(body: unknown, headers: Record<string, string> = {}, query: Record<string, unknown> = {}): WebhookRequest {
  const rawBody = Buffer.from(JSON.stringify(body));
  return { headers: { "content-type": "application/json", ...headers }, query, rawBody, body };
}

export function hmacSignature(secret: string, timestamp: string, rawBody: Buffer): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.`).update(rawBody).digest("hex")}`;
}

export function signedRequest(body: unknown, timestampS: number, secret = SECRETS.hook_hmac!): WebhookRequest {
  const request = jsonRequest(body);
  const timestamp = String(timestampS);
  request.headers["x-flockflow-timestamp"] = timestamp;
  request.headers["x-flockflow-signature"] = hmacSignature(secret, timestamp, request.rawBody);
  return request;
}

/** Lets pending promise callbacks (startRun, finished → release) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

/**
 * The contract between the HTTP service (`src/server/`) and triggers (`src/triggers/`). The service
 * owns HTTP, the run store and the runtime; triggers own trigger validation, webhook
 * authentication, schedules and concurrency policies, and start runs only through `StartTriggerRun`.
 */

/** Who started a run: stored with the run and given to it as `_flocks.trigger` (reference §1.4). */
export interface TriggerIdentity {
  id: string;
  type: string;
  source: Record<string, unknown>;
  deliveryId: string;
  /** ISO 8601. */
  receivedAt: string;
  attempt: number;
}

export interface StartedRun {
  runId: string;
  /** Settles (never rejects) when the run has finished, whatever its status. */
  finished: Promise<void>;
}

/**
 * Starts a run of the workflow's current definition and resolves once the run is recorded (so a
 * webhook can answer 202 with its id). Provided by the service.
 */
export type StartTriggerRun = (request: { workflowId: string; inputs: Record<string, unknown>; trigger: TriggerIdentity }) => Promise<StartedRun>;

export interface WebhookRequest {
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, unknown>;
  /** The exact bytes received (HMAC signatures are over these). */
  rawBody: Buffer;
  /** The parsed body (JSON when it parsed, else the text). */
  body: unknown;
}

export interface WebhookResponse {
  statusCode: number;
  body: unknown;
}

export interface TriggerManagerOptions {
  startRun: StartTriggerRun;
  /** `secretRef` → secret value (config secrets); undefined when unknown. */
  resolveSecret(ref: string): string | undefined;
  /** Clock for schedules and HMAC timestamps (tests inject one); default Date.now. */
  now?: () => number;
  /** Called with errors of background work (a schedule tick whose run could not start). */
  onError?: (error: unknown, context: { workflowId: string; triggerId: string }) => void;
}

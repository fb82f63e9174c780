/**
 * Runs the triggers of the service's workflows (SPEC §7): webhook calls are authenticated, filtered,
 * mapped and admitted by their trigger's concurrency policy; schedules tick through the same path.
 * Runs start only through `options.startRun` (the seam in types.ts); the manager never cancels a run.
 *
 * Webhook answers (`POST /webhook/:workflowId/:triggerId`; a refused call never starts a run):
 *
 * | status | body                                                      | when                                        |
 * |--------|-----------------------------------------------------------|---------------------------------------------|
 * | 202    | `{runId, deliveryId}`                                     | the run is recorded (`startRun` resolved)   |
 * | 202    | `{queued: true, deliveryId}`                              | waiting for a slot (`queue`, `drop_*`); the run starts later, so there is no id yet |
 * | 200    | `{accepted: false, reason: "filtered", matched: false, executed: false, deliveryId}` | `filter.expr` did not match (Flocks answers `{matched: false, executed: false}`; the mapped inputs are not echoed) |
 * | 200    | `{accepted: false, reason: "dropped", deliveryId}`        | `drop_newest` with a full queue             |
 * | 400    | `{error}`                                                 | not a webhook trigger; the filter could not be evaluated on this event |
 * | 401    | `{error}`                                                 | wrong or missing key/signature, timestamp outside the window, or auth misconfigured (also reported through `onError`) |
 * | 403    | `{error}`                                                 | the trigger is disabled (as in Flocks)      |
 * | 404    | `{error}`                                                 | no such workflow or trigger                 |
 * | 409    | `{error: "a run of this trigger is already active"}`      | `no_overlap` while a run is active          |
 * | 409    | `{error}`                                                 | the same signed HMAC request again within the window |
 * | 413    | `{error}`                                                 | the raw body exceeds `source.maxBodyBytes` (default 1 MiB) |
 * | 429    | `{error}`                                                 | `queue` with a full queue                   |
 * | 500    | `{error}`                                                 | the trigger has other validation errors, or `startRun` failed (reported) |
 * | 503    | `{error}`                                                 | the manager is closed                       |
 *
 * The event a run sees keeps the request's headers and query except the ones carrying an API key,
 * so no key ends up in a run's inputs or the run store. Checks run cheapest first and the body size
 * before any HMAC work.
 */
import type { ValidationIssue } from "../errors.js";
import type { Workflow, WorkflowTrigger } from "../model/types.js";
import { compileTrigger, hasErrors, type CompiledTrigger } from "./compile-trigger.js";
import { ConcurrencyGate } from "./concurrency-gate.js";
import { FilterExpressionError } from "./filter-expression.js";
import { canonicalJson, normalizeTriggers, type NormalizedTrigger } from "./normalize-trigger.js";
import { ReplayGuard } from "./replay-guard.js";
import { startSchedule, type ScheduleHandle } from "./schedule.js";
import { buildTriggerEvent, buildTriggerInputs, createTriggerIdentity, triggerContext } from "./trigger-inputs.js";
import type { StartedRun, TriggerIdentity, TriggerManagerOptions, WebhookRequest, WebhookResponse } from "./types.js";
import { validateTriggers } from "./validate-triggers.js";
import { authenticateWebhook, credentialLocations } from "./webhook-auth.js";

interface RunJob {
  workflowId: string;
  inputs: Record<string, unknown>;
  identity: TriggerIdentity;
}

interface ActiveTrigger {
  compiled: CompiledTrigger;
  /** Restart key: canonical JSON of the definition without its cosmetic keys. */
  key: string;
  schedule?: ScheduleHandle;
  /** A misconfiguration found while serving calls is reported once per (re)start. */
  reportedMisconfiguration: boolean;
}

/** Keys that change no behaviour: editing them does not restart a trigger. */
const COSMETIC_KEYS = new Set(["name", "description", "updatedAt", "testSamples"]);

export class TriggerManager {
  readonly #options: TriggerManagerOptions;
  readonly #now: () => number;
  readonly #workflows = new Map<string, Map<string, ActiveTrigger>>();
  readonly #gates = new Map<string, ConcurrencyGate<RunJob>>();
  readonly #replayGuards = new Map<string, ReplayGuard>();
  #closed = false;

  constructor(options: TriggerManagerOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** Issues that make a workflow's triggers unsaveable (errors) or worth a look (warnings). */
  static validate(workflow: Workflow): ValidationIssue[] {
    return validateTriggers(workflow);
  }

  /**
   * Starts, restarts or stops the triggers of one workflow (undefined = removed). Idempotent: a
   * trigger whose definition is unchanged keeps running (a schedule keeps its phase); a changed one
   * is stopped and started again; a removed or disabled one loses its waiting fires. Runs already
   * started are never touched.
   */
  sync(workflowId: string, workflow: Workflow | undefined): void {
    if (this.#closed) return;
    const previous = this.#workflows.get(workflowId) ?? new Map<string, ActiveTrigger>();
    const next = new Map<string, ActiveTrigger>();
    for (const trigger of workflow ? normalizeTriggers(workflow.triggers) : []) {
      const raw = workflow!.triggers[trigger.index]!;
      const key = restartKey(trigger, raw);
      const old = previous.get(trigger.id);
      if (old && old.key === key) {
        old.compiled.trigger = trigger;
        next.set(trigger.id, old);
        continue;
      }
      old?.schedule?.stop();
      next.set(trigger.id, this.#activate(workflowId, trigger, raw, key));
    }
    for (const [triggerId, old] of previous) {
      if (next.has(triggerId)) continue;
      old.schedule?.stop();
      this.#retire(workflowId, triggerId);
    }
    if (next.size > 0) this.#workflows.set(workflowId, next);
    else this.#workflows.delete(workflowId);
  }

  /** Authenticates and dispatches one `POST /webhook/:workflowId/:triggerId`; never throws. */
  async handleWebhook(workflowId: string, triggerId: string, request: WebhookRequest): Promise<WebhookResponse> {
    try {
      return await this.#handleWebhook(workflowId, triggerId, request);
    } catch (error) {
      this.#report(error, workflowId, triggerId);
      return reply(500, { error: "internal error while dispatching the webhook" });
    }
  }

  /** Stops every schedule and stops accepting; waiting fires are dropped; running runs go on. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const triggers of this.#workflows.values()) {
      for (const active of triggers.values()) {
        active.schedule?.stop();
        delete active.schedule;
      }
    }
    for (const gate of this.#gates.values()) gate.close();
  }

  /** Running and waiting fires of one trigger; undefined when the workflow has no such trigger. */
  stats(workflowId: string, triggerId: string): { running: number; queued: number } | undefined {
    if (!this.#workflows.get(workflowId)?.has(triggerId)) return undefined;
    const gate = this.#gates.get(gateKey(workflowId, triggerId));
    return { running: gate?.running ?? 0, queued: gate?.queued ?? 0 };
  }

  #activate(workflowId: string, trigger: NormalizedTrigger, raw: WorkflowTrigger, key: string): ActiveTrigger {
    const compiled = compileTrigger(trigger, raw);
    const active: ActiveTrigger = { compiled, key, reportedMisconfiguration: false };
    const runnable = trigger.type === "webhook" || trigger.type === "schedule";
    if (runnable && trigger.enabled && hasErrors(compiled)) {
      const details = compiled.problems.filter((p) => p.severity === "error").map((p) => `${p.path}: ${p.message}`);
      this.#report(new Error(`trigger '${trigger.id}' of workflow '${workflowId}' is misconfigured: ${details.join("; ")}`), workflowId, trigger.id);
    }
    const gate = this.#gate(workflowId, trigger);
    gate.configure(trigger.concurrency);
    if (!trigger.enabled) gate.clearQueue();
    if (!trigger.enabled || trigger.type !== "webhook") this.#replayGuards.delete(gateKey(workflowId, trigger.id));
    if (trigger.type === "schedule" && trigger.enabled && compiled.schedule && !hasErrors(compiled)) {
      active.schedule = startSchedule(compiled.schedule, () => this.#tick(workflowId, trigger.id));
    }
    return active;
  }

  /** A trigger left its workflow: its waiting fires go; its gate stays while runs still hold slots. */
  #retire(workflowId: string, triggerId: string): void {
    const key = gateKey(workflowId, triggerId);
    const gate = this.#gates.get(key);
    gate?.clearQueue();
    if (gate && gate.running === 0) this.#gates.delete(key);
    this.#replayGuards.delete(key);
  }

  #gate(workflowId: string, trigger: NormalizedTrigger): ConcurrencyGate<RunJob> {
    const key = gateKey(workflowId, trigger.id);
    let gate = this.#gates.get(key);
    if (!gate) {
      gate = new ConcurrencyGate<RunJob>(trigger.concurrency, (job, release) => {
        this.#startRun(job, release).catch((error: unknown) => this.#report(error, job.workflowId, job.identity.id));
      });
      this.#gates.set(key, gate);
    }
    return gate;
  }

  /** One schedule tick: the same path as a webhook, without a request; refusals are silent skips. */
  #tick(workflowId: string, triggerId: string): void {
    // A timer callback that throws would crash the process: everything goes to onError instead.
    try {
      this.#dispatchTick(workflowId, triggerId);
    } catch (error) {
      this.#report(error, workflowId, triggerId);
    }
  }

  #dispatchTick(workflowId: string, triggerId: string): void {
    if (this.#closed) return;
    const active = this.#workflows.get(workflowId)?.get(triggerId);
    if (!active) return;
    const { trigger, filter } = active.compiled;
    const identity = createTriggerIdentity(trigger, this.#now());
    const context = triggerContext(buildTriggerEvent({ workflowId, trigger, identity }));
    try {
      if (filter && !filter.matches(context)) return;
    } catch (error) {
      this.#report(error, workflowId, triggerId);
      return;
    }
    const inputs = buildTriggerInputs(trigger, context, identity);
    // Flocks' poller gives scheduled runs `input_date`, today's date (here in the cron time zone,
    // else UTC), unless the inputs already hold one.
    if (!Object.prototype.hasOwnProperty.call(inputs, "input_date")) inputs.input_date = isoDate(this.#now(), active.compiled.schedule);
    const job: RunJob = { workflowId, inputs, identity };
    const admission = this.#gate(workflowId, trigger).offer(job);
    if (admission.kind === "start") {
      this.#startRun(job, admission.release).catch((error: unknown) => this.#report(error, workflowId, triggerId));
    }
  }

  async #handleWebhook(workflowId: string, triggerId: string, request: WebhookRequest): Promise<WebhookResponse> {
    if (this.#closed) return reply(503, { error: "the service is shutting down" });
    const active = this.#workflows.get(workflowId)?.get(triggerId);
    if (!active) return reply(404, { error: `workflow '${workflowId}' has no trigger '${triggerId}'` });
    const { compiled } = active;
    const { trigger } = compiled;
    if (trigger.type !== "webhook") return reply(400, { error: `trigger '${triggerId}' is a ${trigger.type} trigger, not a webhook` });
    if (!trigger.enabled) return reply(403, { error: `trigger '${triggerId}' is disabled` });
    if (request.rawBody.length > compiled.maxBodyBytes) return reply(413, { error: `the body is larger than ${compiled.maxBodyBytes} bytes` });

    // Fail closed: a webhook without usable auth answers like a wrong key (its save was refused).
    if (!compiled.auth) return reply(401, { error: "unauthorized" });
    const nowMs = this.#now();
    const auth = authenticateWebhook(compiled.auth, request, (ref) => this.#options.resolveSecret(ref), nowMs);
    if (!auth.ok) {
      if (auth.misconfiguration && !active.reportedMisconfiguration) {
        active.reportedMisconfiguration = true;
        this.#report(new Error(`webhook trigger '${triggerId}' of workflow '${workflowId}' cannot authenticate calls: ${auth.misconfiguration}`), workflowId, triggerId);
      }
      return reply(401, { error: auth.error });
    }
    if (hasErrors(compiled)) return reply(500, { error: `trigger '${triggerId}' is misconfigured; see the workflow's validation issues` });

    let releaseClaim = () => {};
    if (auth.replay) {
      const guardKey = gateKey(workflowId, triggerId);
      let guard = this.#replayGuards.get(guardKey);
      if (!guard) this.#replayGuards.set(guardKey, (guard = new ReplayGuard()));
      const { key } = auth.replay;
      if (!guard.claim(key, auth.replay.expiresAtMs, nowMs)) return reply(409, { error: "this signed request was already received" });
      releaseClaim = () => guard.release(key);
    }

    const identity = createTriggerIdentity(trigger, nowMs);
    const { deliveryId } = identity;
    const hidden = credentialLocations(compiled.auth);
    const context = triggerContext(
      buildTriggerEvent({
        workflowId,
        trigger,
        identity,
        body: request.body,
        headers: omitKey(request.headers, (key) => key.toLowerCase() === hidden.header),
        query: omitKey(request.query, (key) => key === hidden.queryParam),
        pathParams: { workflowId, triggerId },
      }),
    );
    try {
      if (compiled.filter && !compiled.filter.matches(context)) {
        return reply(200, { accepted: false, reason: "filtered", matched: false, executed: false, deliveryId });
      }
    } catch (error) {
      if (!(error instanceof FilterExpressionError)) throw error;
      releaseClaim();
      return reply(400, { error: `the trigger filter could not be evaluated on this event: ${error.message}` });
    }

    const job: RunJob = { workflowId, inputs: buildTriggerInputs(trigger, context, identity), identity };
    const admission = this.#gate(workflowId, trigger).offer(job);
    switch (admission.kind) {
      case "queued":
        return reply(202, { queued: true, deliveryId });
      case "rejected":
        if (admission.reason === "dropped") return reply(200, { accepted: false, reason: "dropped", deliveryId });
        releaseClaim();
        return admission.reason === "overlap"
          ? reply(409, { error: "a run of this trigger is already active" })
          : reply(429, { error: `the queue of trigger '${triggerId}' is full` });
      case "start":
        try {
          const run = await this.#startRun(job, admission.release);
          return reply(202, { runId: run.runId, deliveryId });
        } catch (error) {
          releaseClaim();
          this.#report(error, workflowId, triggerId);
          return reply(500, { error: "the run could not be started" });
        }
    }
  }

  /** Starts a run in a reserved slot; the slot is released when the run finishes or fails to start. */
  async #startRun(job: RunJob, release: () => void): Promise<StartedRun> {
    let run: StartedRun;
    try {
      run = await this.#options.startRun({ workflowId: job.workflowId, inputs: job.inputs, trigger: job.identity });
    } catch (error) {
      release();
      throw error;
    }
    Promise.resolve(run.finished).then(release, release);
    return run;
  }

  #report(error: unknown, workflowId: string, triggerId: string): void {
    const onError = this.#options.onError;
    try {
      if (onError) onError(error, { workflowId, triggerId });
      else process.emitWarning(`flockflow trigger ${workflowId}/${triggerId}: ${error instanceof Error ? error.message : String(error)}`);
    } catch {
      // A failing error handler must not take the trigger machinery down with it.
    }
  }
}

function restartKey(trigger: NormalizedTrigger, raw: WorkflowTrigger): string {
  const behaviour: Record<string, unknown> = { id: trigger.id };
  for (const [key, value] of Object.entries(raw)) if (!COSMETIC_KEYS.has(key) && key !== "id") behaviour[key] = value;
  return canonicalJson(behaviour);
}

function gateKey(workflowId: string, triggerId: string): string {
  return `${workflowId}\u0000${triggerId}`;
}

function omitKey<T>(record: Record<string, T>, omit: (key: string) => boolean): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [key, value] of Object.entries(record)) if (!omit(key)) out[key] = value;
  return out;
}

function isoDate(nowMs: number, schedule: CompiledTrigger["schedule"]): string {
  const timeZone = schedule?.mode === "cron" ? schedule.timezone : "UTC";
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(nowMs);
}

function reply(statusCode: number, body: unknown): WebhookResponse {
  return { statusCode, body };
}

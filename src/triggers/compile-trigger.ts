/**
 * Everything a trigger needs at run time, worked out once when it (re)starts: the webhook auth, the
 * parsed filter, the schedule, the body limit. The same pass lists the trigger's problems, which
 * `validateTriggers` turns into the issues that make a workflow unsaveable (SPEC §7: "a webhook
 * trigger without auth is rejected when saved") and which the manager reports for a trigger that
 * reached it anyway (a file edited on disk).
 */
import { isPlainObject } from "../model/get-path.js";
import type { WorkflowTrigger } from "../model/types.js";
import { FilterExpression, FilterExpressionError } from "./filter-expression.js";
import { CONCURRENCY_POLICIES, isConcurrencyPolicy, isPositiveInteger, type NormalizedTrigger } from "./normalize-trigger.js";
import { readScheduleSource, type ScheduleSpec } from "./schedule.js";
import { isValidMappingPath } from "./trigger-inputs.js";
import { readWebhookAuth, type WebhookAuthConfig } from "./webhook-auth.js";

/** SPEC §7 / issue 5: the per-webhook body limit unless `source.maxBodyBytes` says otherwise. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** Types flockflow keeps in the file but does not run (reference flocks-service.md §3.3). */
const INACTIVE_TYPES = new Set(["syslog", "kafka", "internal_event", "custom_webhook", "custom_adapter", "plugin"]);

export interface TriggerProblem {
  /** Relative to the trigger: `auth`, `source.cron`, `concurrency.policy`. */
  path: string;
  rule: string;
  message: string;
  severity: "error" | "warning";
}

export interface CompiledTrigger {
  trigger: NormalizedTrigger;
  /** Webhooks with valid auth settings. */
  auth?: WebhookAuthConfig;
  filter?: FilterExpression;
  schedule?: ScheduleSpec;
  maxBodyBytes: number;
  problems: TriggerProblem[];
}

export function compileTrigger(trigger: NormalizedTrigger, raw: WorkflowTrigger): CompiledTrigger {
  const problems: TriggerProblem[] = [];
  const error = (path: string, rule: string, message: string) => problems.push({ path, rule, message, severity: "error" });
  const compiled: CompiledTrigger = { trigger, maxBodyBytes: DEFAULT_MAX_BODY_BYTES, problems };

  if (raw.enabled !== undefined && typeof raw.enabled !== "boolean") error("enabled", "type", "`enabled` must be true or false");
  for (const key of ["source", "inputs", "runtime"] as const) {
    if (raw[key] !== undefined && raw[key] !== null && !isPlainObject(raw[key])) error(key, "type", `\`${key}\` must be an object`);
  }
  checkMapping(raw.mapping, error);
  checkConcurrency(raw.concurrency, error);

  if (raw.filter !== undefined && raw.filter !== null) {
    if (!isPlainObject(raw.filter)) {
      error("filter", "type", "`filter` must be an object");
    } else {
      const expr = raw.filter.expr;
      if (expr !== undefined && expr !== null && typeof expr !== "string") error("filter.expr", "type", "`filter.expr` must be a string");
      if (typeof expr === "string" && expr.trim()) {
        try {
          compiled.filter = FilterExpression.parse(expr.trim());
        } catch (e) {
          if (!(e instanceof FilterExpressionError)) throw e;
          error("filter.expr", "trigger_filter", `invalid filter expression: ${e.message}`);
        }
      }
      const ignored = ["mode", "path", "equals"].filter((key) => raw.filter !== undefined && (raw.filter as Record<string, unknown>)[key] !== undefined);
      if (ignored.length > 0) {
        problems.push({
          path: `filter.${ignored[0]}`,
          rule: "trigger_filter_ignored",
          message: `filter ${ignored.map((k) => `\`${k}\``).join(", ")} ${ignored.length > 1 ? "are" : "is"} ignored, as in Flocks: only \`filter.expr\` filters events`,
          severity: "warning",
        });
      }
    }
  }

  if (trigger.type === "webhook") {
    if (raw.auth !== undefined && raw.auth !== null && !isPlainObject(raw.auth)) {
      error("auth", "trigger_auth", "`auth` must be an object");
    } else {
      const auth = readWebhookAuth(trigger.auth);
      if (auth.ok) compiled.auth = auth.config;
      else for (const p of auth.problems) error(p.path, "trigger_auth", p.message);
    }
    const limit = trigger.source.maxBodyBytes;
    if (limit !== undefined) {
      if (isPositiveInteger(limit)) compiled.maxBodyBytes = limit;
      else error("source.maxBodyBytes", "type", "`maxBodyBytes` must be a positive integer");
    }
  } else if (trigger.type === "schedule") {
    const schedule = readScheduleSource(trigger.source);
    if (schedule.ok) compiled.schedule = schedule.spec;
    else for (const p of schedule.problems) error(p.path, "trigger_schedule", p.message);
  } else if (INACTIVE_TYPES.has(trigger.type)) {
    problems.push({
      path: "type",
      rule: "trigger_inactive",
      message: `\`${trigger.type}\` triggers are kept but not run by flockflow (it runs webhook and schedule triggers)`,
      severity: "warning",
    });
  }
  return compiled;
}

export function hasErrors(compiled: CompiledTrigger): boolean {
  return compiled.problems.some((p) => p.severity === "error");
}

function checkMapping(mapping: unknown, error: (path: string, rule: string, message: string) => void): void {
  if (mapping === undefined || mapping === null) return;
  if (!isPlainObject(mapping)) {
    error("mapping", "type", "`mapping` must be an object of input name → path");
    return;
  }
  for (const [key, path] of Object.entries(mapping)) {
    if (typeof path !== "string") error(`mapping.${key}`, "type", "a mapping path must be a string such as `$.body.alert`");
    else if (!isValidMappingPath(path)) error(`mapping.${key}`, "trigger_mapping", `invalid mapping path '${path}': unclosed '['`);
  }
}

function checkConcurrency(concurrency: unknown, error: (path: string, rule: string, message: string) => void): void {
  if (concurrency === undefined || concurrency === null) return;
  if (!isPlainObject(concurrency)) {
    error("concurrency", "type", "`concurrency` must be an object");
    return;
  }
  if (concurrency.policy !== undefined && !isConcurrencyPolicy(concurrency.policy)) {
    error("concurrency.policy", "enum", `\`policy\` must be one of ${CONCURRENCY_POLICIES.join(", ")}`);
  }
  for (const key of ["maxParallel", "queueSize"] as const) {
    if (concurrency[key] !== undefined && !isPositiveInteger(concurrency[key])) error(`concurrency.${key}`, "type", `\`${key}\` must be an integer ≥ 1`);
  }
}

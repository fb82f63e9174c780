/**
 * Trigger definitions as Flocks normalises them (reference flocks-engine.md §1.4, `triggers/models.py`):
 * the id is always sanitised (runs of characters outside `[A-Za-z0-9_.-]` become `-`, edge dashes are
 * trimmed, empty becomes `trigger`); a missing id becomes `<type>-<first of source.path|topic|event|
 * name|adapterId|pluginId>` or `<type>-default`; the same id twice → the later definition wins;
 * `enabled` defaults to true; `concurrency` defaults to `{policy: "allow", maxParallel: 1, queueSize: 100}`.
 *
 * Normalisation never fails: values of the wrong shape fall back to their defaults here, and
 * `validateTriggers` reports them (the service refuses to save such a workflow).
 *
 * flockflow runs `webhook` and `schedule` triggers; `manual` triggers are runs started over the API.
 * The other Flocks types (`syslog`, `kafka`, `internal_event`, `custom_webhook`, `custom_adapter`,
 * `plugin`) are kept as written but stay inactive.
 */
import { isPlainObject } from "../model/get-path.js";
import type { WorkflowTrigger } from "../model/types.js";

export const CONCURRENCY_POLICIES = ["allow", "no_overlap", "queue", "drop_oldest", "drop_newest"] as const;
export type ConcurrencyPolicy = (typeof CONCURRENCY_POLICIES)[number];

/** The trigger types flockflow runs itself. */
export const ACTIVE_TRIGGER_TYPES: ReadonlySet<string> = new Set(["webhook", "schedule"]);

export const DEFAULT_MAX_PARALLEL = 1;
export const DEFAULT_QUEUE_SIZE = 100;

export interface TriggerConcurrency {
  policy: ConcurrencyPolicy;
  maxParallel: number;
  queueSize: number;
}

export interface NormalizedTrigger {
  id: string;
  type: string;
  enabled: boolean;
  name?: string;
  source: Record<string, unknown>;
  /** Kept raw; `webhook-auth.ts` reads it. */
  auth?: Record<string, unknown>;
  filter?: Record<string, unknown>;
  mapping: Record<string, string>;
  inputs: Record<string, unknown>;
  concurrency: TriggerConcurrency;
  runtime: Record<string, unknown>;
  /** Position in the workflow's `triggers` array (of the definition that won). */
  index: number;
}

const ID_UNSAFE = /[^A-Za-z0-9_.-]+/g;

export function sanitizeTriggerId(value: string): string {
  const cleaned = value.trim().replace(ID_UNSAFE, "-").replace(/^-+|-+$/g, "");
  return cleaned || "trigger";
}

export function defaultTriggerId(type: string, source: Record<string, unknown>): string {
  const base = type.trim().toLowerCase() || "trigger";
  for (const key of ["path", "topic", "event", "name", "adapterId", "pluginId"]) {
    const candidate = source[key];
    if (typeof candidate === "string" && candidate.trim()) return `${base}-${sanitizeTriggerId(candidate)}`;
  }
  return `${base}-default`;
}

/** Normalises every trigger; the same id twice → the later definition wins, at the later position. */
export function normalizeTriggers(triggers: readonly WorkflowTrigger[]): NormalizedTrigger[] {
  const byId = new Map<string, NormalizedTrigger>();
  triggers.forEach((raw, index) => {
    const trigger = normalizeTrigger(raw, index);
    byId.delete(trigger.id);
    byId.set(trigger.id, trigger);
  });
  return [...byId.values()];
}

export function normalizeTrigger(raw: WorkflowTrigger, index: number): NormalizedTrigger {
  const type = typeof raw.type === "string" ? raw.type : "";
  const source = isPlainObject(raw.source) ? raw.source : {};
  const rawId = typeof raw.id === "string" && raw.id.trim() ? raw.id : defaultTriggerId(type, source);
  return {
    id: sanitizeTriggerId(rawId),
    type,
    enabled: typeof raw.enabled === "boolean" ? raw.enabled : true,
    ...(typeof raw.name === "string" ? { name: raw.name } : {}),
    source,
    ...(isPlainObject(raw.auth) ? { auth: raw.auth } : {}),
    ...(isPlainObject(raw.filter) ? { filter: raw.filter } : {}),
    mapping: stringEntries(raw.mapping),
    inputs: isPlainObject(raw.inputs) ? raw.inputs : {},
    concurrency: normalizeConcurrency(raw),
    runtime: isPlainObject(raw.runtime) ? raw.runtime : {},
    index,
  };
}

/**
 * `concurrency` as declared. A schedule trigger that declares no `concurrency.policy` takes Flocks'
 * poller default instead: `runtime.noOverlap` (else `source.noOverlap`, default true) → `no_overlap`,
 * so a slow scheduled run never piles up behind itself unless the author asks for it.
 */
function normalizeConcurrency(raw: WorkflowTrigger): TriggerConcurrency {
  const declared = isPlainObject(raw.concurrency) ? raw.concurrency : {};
  const maxParallel = isPositiveInteger(declared.maxParallel) ? declared.maxParallel : DEFAULT_MAX_PARALLEL;
  const queueSize = isPositiveInteger(declared.queueSize) ? declared.queueSize : DEFAULT_QUEUE_SIZE;
  let policy: ConcurrencyPolicy = "allow";
  if (isConcurrencyPolicy(declared.policy)) {
    policy = declared.policy;
  } else if (raw.type === "schedule") {
    const runtime = isPlainObject(raw.runtime) ? raw.runtime : {};
    const source = isPlainObject(raw.source) ? raw.source : {};
    const noOverlap = typeof runtime.noOverlap === "boolean" ? runtime.noOverlap : typeof source.noOverlap === "boolean" ? source.noOverlap : true;
    policy = noOverlap ? "no_overlap" : "allow";
  }
  return { policy, maxParallel, queueSize };
}

export function isConcurrencyPolicy(value: unknown): value is ConcurrencyPolicy {
  return typeof value === "string" && (CONCURRENCY_POLICIES as readonly string[]).includes(value);
}

export function isPositiveInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 1;
}

function stringEntries(value: unknown): Record<string, string> {
  if (!isPlainObject(value)) return {};
  const out: Record<string, string> = {};
  for (const [key, path] of Object.entries(value)) if (typeof path === "string") out[key] = path;
  return out;
}

/** JSON with object keys sorted, so two equal definitions give the same text whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (!isPlainObject(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(v).sort()) sorted[key] = v[key];
    return sorted;
  });
}

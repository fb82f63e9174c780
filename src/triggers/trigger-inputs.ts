/**
 * From a trigger firing to a run's inputs, as Flocks' dispatcher does it (reference flocks-service.md
 * §3.2, flocks-engine.md §1.4):
 *
 * - the event: `{source: {workflowId, triggerId, triggerType, source, deliveryId, receivedAt, attempt},
 *   body, headers, query, pathParams, payload, raw}` (`payload` is the body; `raw` is the body too,
 *   as in Flocks' `build_trigger_event` when no raw value is given; `receivedAt` in ms, `source` the
 *   first of the trigger source's `path|topic|event|adapterId`, else the type);
 * - filter expressions and mapping paths see `{event, body, headers, query, pathParams, payload, raw}`;
 * - inputs, in order: the static `inputs`; each `mapping` destination from its path (a missing path
 *   gives null, the key is kept); `_flocks = {trigger: identity}`; `_trigger` = the type when absent.
 *
 * `_flocks.trigger` is the `TriggerIdentity` given to `startRun` (types.ts): unlike Flocks, its
 * `source` is the trigger's `source` settings object and `receivedAt` is ISO 8601.
 */
import { randomUUID } from "node:crypto";
import { isPlainObject } from "../model/get-path.js";
import type { NormalizedTrigger } from "./normalize-trigger.js";
import type { TriggerIdentity } from "./types.js";

export interface TriggerEvent {
  source: {
    workflowId: string;
    triggerId: string;
    triggerType: string;
    source: string;
    deliveryId: string;
    /** Unix ms, as in Flocks. */
    receivedAt: number;
    attempt: number;
  };
  body: unknown;
  headers: Record<string, unknown>;
  query: Record<string, unknown>;
  pathParams: Record<string, unknown>;
  payload: unknown;
  raw: unknown;
}

/** What filter expressions and mapping paths are resolved against. */
export type TriggerContext = Readonly<Record<"event" | "body" | "headers" | "query" | "pathParams" | "payload" | "raw", unknown>>;

export function createTriggerIdentity(trigger: NormalizedTrigger, nowMs: number): TriggerIdentity {
  return {
    id: trigger.id,
    type: trigger.type,
    source: structuredClone(trigger.source),
    deliveryId: randomUUID(),
    receivedAt: new Date(nowMs).toISOString(),
    attempt: 1,
  };
}

export function buildTriggerEvent(options: {
  workflowId: string;
  trigger: NormalizedTrigger;
  identity: TriggerIdentity;
  body?: unknown;
  headers?: Record<string, unknown>;
  query?: Record<string, unknown>;
  pathParams?: Record<string, unknown>;
}): TriggerEvent {
  const { trigger, identity } = options;
  const body = options.body ?? null;
  return {
    source: {
      workflowId: options.workflowId,
      triggerId: trigger.id,
      triggerType: trigger.type,
      source: eventSourceName(trigger),
      deliveryId: identity.deliveryId,
      receivedAt: Date.parse(identity.receivedAt),
      attempt: identity.attempt,
    },
    body,
    headers: options.headers ?? {},
    query: options.query ?? {},
    pathParams: options.pathParams ?? {},
    payload: body,
    raw: body,
  };
}

function eventSourceName(trigger: NormalizedTrigger): string {
  for (const key of ["path", "topic", "event", "adapterId"]) {
    const value = trigger.source[key];
    if (typeof value === "string" && value) return value;
  }
  return trigger.type;
}

export function triggerContext(event: TriggerEvent): TriggerContext {
  return {
    event,
    body: event.body,
    headers: event.headers,
    query: event.query,
    pathParams: event.pathParams,
    payload: event.payload,
    raw: event.raw,
  };
}

export function buildTriggerInputs(trigger: NormalizedTrigger, context: TriggerContext, identity: TriggerIdentity): Record<string, unknown> {
  const inputs: Record<string, unknown> = structuredClone(trigger.inputs);
  for (const [destination, path] of Object.entries(trigger.mapping)) {
    inputs[destination] = lookupMappingPath(context, path);
  }
  inputs._flocks = { trigger: identity };
  if (!Object.prototype.hasOwnProperty.call(inputs, "_trigger")) inputs._trigger = trigger.type;
  return inputs;
}

/**
 * Flocks' `lookup_mapping_path`: `""` and `$` are the whole context; a leading `$.` is dropped; the
 * path splits on `.` and `[...]` (`items[0]`, `headers['x-id']`); a number indexes a list (a digit
 * segment after a dot does too, as in flockflow's other paths); a key must be an own key of an
 * object; anything missing gives null.
 */
export function lookupMappingPath(data: unknown, path: string): unknown {
  const trimmed = path.trim();
  if (trimmed === "" || trimmed === "$") return data;
  const body = trimmed.startsWith("$.") ? trimmed.slice(2) : trimmed;
  const tokens = tokenizePath(body);
  if (!tokens) return null;
  let value: unknown = data;
  for (const token of tokens) {
    if (Array.isArray(value)) {
      const index = typeof token === "number" ? token : /^\d+$/.test(token) ? Number(token) : NaN;
      if (!Number.isInteger(index) || index >= value.length) return null;
      value = value[index];
    } else if (isPlainObject(value) && typeof token === "string" && Object.prototype.hasOwnProperty.call(value, token)) {
      value = value[token];
    } else {
      return null;
    }
    if (value === undefined || value === null) return null;
  }
  return value;
}

/** False for a path with an unclosed `[` (Flocks: "Invalid mapping path"). */
export function isValidMappingPath(path: string): boolean {
  return tokenizePath(path) !== undefined;
}

function tokenizePath(path: string): Array<string | number> | undefined {
  const tokens: Array<string | number> = [];
  let i = 0;
  while (i < path.length) {
    const ch = path[i]!;
    if (ch === ".") {
      i++;
      continue;
    }
    if (ch === "[") {
      const end = path.indexOf("]", i);
      if (end < 0) return undefined;
      const raw = path.slice(i + 1, end).trim();
      tokens.push(/^\d+$/.test(raw) ? Number(raw) : raw.replace(/^['"]+|['"]+$/g, ""));
      i = end + 1;
      continue;
    }
    const start = i;
    while (i < path.length && path[i] !== "." && path[i] !== "[") i++;
    tokens.push(path.slice(start, i));
  }
  return tokens.filter((token) => token !== "$" && token !== "");
}

export { TriggerManager } from "./trigger-manager.js";
export { validateTriggers } from "./validate-triggers.js";
export { normalizeTriggers, sanitizeTriggerId, CONCURRENCY_POLICIES } from "./normalize-trigger.js";
export type { NormalizedTrigger, ConcurrencyPolicy, TriggerConcurrency } from "./normalize-trigger.js";
export { FilterExpression, FilterExpressionError, FILTER_NAMES } from "./filter-expression.js";
export { SIGNATURE_HEADER, TIMESTAMP_HEADER, HMAC_WINDOW_S, DEFAULT_API_KEY_HEADER, DEFAULT_API_KEY_QUERY_PARAM } from "./webhook-auth.js";
export { DEFAULT_MAX_BODY_BYTES } from "./compile-trigger.js";
export type {
  StartTriggerRun,
  StartedRun,
  TriggerIdentity,
  TriggerManagerOptions,
  WebhookRequest,
  WebhookResponse,
} from "./types.js";

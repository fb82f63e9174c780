/**
 * Retry decisions (SPEC §1.7). Only retryable failures are retried: connection errors, 408, 409,
 * 429, 5xx, broken streams and attempt/TTFT/idle timeouts. The wait grows exponentially from
 * `retry_delay_s` with ±20 % jitter, is at least the server's `Retry-After`, and a retry whose wait
 * would not fit in the remaining budget is not attempted. Cancellation is never retried: `ask`
 * rethrows it before it asks this module anything.
 */
import { LlmCallError, TimeoutError } from "../errors.js";

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

export function isRetryable(error: unknown): boolean {
  if (error instanceof LlmCallError) return error.isRetryable;
  if (error instanceof TimeoutError) return error.kind === "attempt" || error.kind === "ttft" || error.kind === "idle";
  return false;
}

/**
 * RFC 9110 HTTP-date: IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the obsolete RFC 850 form
 * (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime (`Sun Nov  6 08:49:37 1994`). V8's Date.parse
 * alone would read text such as "-1" as a year.
 */
const HTTP_DATE =
  /^(?:[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT|[A-Z][a-z]+, \d{2}-[A-Z][a-z]{2}-\d{2} \d{2}:\d{2}:\d{2} GMT|[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \d{4})$/;

/** `Retry-After` as ms: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, nowMs = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (!raw) return undefined;
  const trimmed = raw.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  if (!HTTP_DATE.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/**
 * The wait before attempt `nextAttempt` (2, 3, ...): `retryDelayMs · 2^(n-2)` with ±20 % jitter,
 * raised to the error's Retry-After.
 */
export function backoffMs(nextAttempt: number, retryDelayMs: number, error: unknown, random: () => number = Math.random): number {
  const base = retryDelayMs * 2 ** Math.max(0, nextAttempt - 2);
  const jittered = base * (0.8 + 0.4 * random());
  const retryAfter = error instanceof LlmCallError ? (error.retryAfterMs ?? 0) : 0;
  return Math.max(jittered, retryAfter);
}

/** A one-line reason for events and progress: `HTTP 503`, `ttft timeout`, `connection`. */
export function retryReason(error: unknown): string {
  if (error instanceof TimeoutError) return `${error.kind} timeout`;
  if (error instanceof LlmCallError) {
    if (error.status !== undefined) return `HTTP ${error.status}`;
    return error.code === "FF_LLM_CONNECTION" ? "connection error" : error.code === "FF_LLM_STREAM" ? "stream error" : "bad response";
  }
  return error instanceof Error ? error.name : "error";
}

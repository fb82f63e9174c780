/**
 * Webhook authentication (SPEC §7; reference flocks-service.md §3.3 and §8 "Webhook RCE"). A webhook
 * trigger must declare one of:
 *
 * - `{type: "api_key", apiKey | secretRef, headerName?, queryParam?}`: the caller sends the key in the
 *   header `headerName` (default `x-api-key`) or the query parameter `queryParam` (default
 *   `api_key`). `apiKey` wins over `secretRef`, as in Flocks.
 * - `{type: "hmac", secretRef, headerName?}`: header `x-flockflow-signature` (or `headerName`) is
 *   `sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">` and `x-flockflow-timestamp` is Unix
 *   seconds within 300 s of now, in either direction. Flocks signs the body alone and has no window;
 *   the SPEC's scheme is used here. The `sha256=` prefix and upper-case hex are tolerated.
 *
 * Every comparison hashes both sides with SHA-256 first and compares the digests with
 * `crypto.timingSafeEqual`, so neither the content nor the length of the expected value leaks
 * through timing.
 *
 * A trigger with no usable auth (missing, `type: "none"`, an unknown type) or whose `secretRef`
 * does not resolve to a non-empty secret fails closed: every call is 401, exactly like a wrong key,
 * so a caller learns nothing about the configuration; the manager reports the misconfiguration
 * through `onError`.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { WebhookRequest } from "./types.js";

export const DEFAULT_API_KEY_HEADER = "x-api-key";
export const DEFAULT_API_KEY_QUERY_PARAM = "api_key";
export const SIGNATURE_HEADER = "x-flockflow-signature";
export const TIMESTAMP_HEADER = "x-flockflow-timestamp";
/** SPEC §7: the timestamp must be within this many seconds of now, in either direction. */
export const HMAC_WINDOW_S = 300;

export type WebhookAuthConfig =
  | { type: "api_key"; apiKey?: string; secretRef?: string; headerName: string; queryParam: string }
  | { type: "hmac"; secretRef: string; signatureHeader: string };

/** A problem with a trigger's `auth`, located relative to the trigger (`auth`, `auth.secretRef`). */
export interface AuthConfigProblem {
  path: string;
  message: string;
}

export type ReadAuthResult = { ok: true; config: WebhookAuthConfig } | { ok: false; problems: AuthConfigProblem[] };

export function readWebhookAuth(auth: Record<string, unknown> | undefined): ReadAuthResult {
  if (!auth) return fail("auth", 'a webhook trigger needs auth: {type: "api_key", apiKey | secretRef} or {type: "hmac", secretRef}');
  const problems: AuthConfigProblem[] = [];
  for (const key of ["apiKey", "secretRef", "headerName", "queryParam"]) {
    if (auth[key] !== undefined && auth[key] !== null && typeof auth[key] !== "string") problems.push({ path: `auth.${key}`, message: `\`${key}\` must be a string` });
  }
  if (problems.length > 0) return { ok: false, problems };
  const apiKey = nonEmpty(auth.apiKey);
  const secretRef = nonEmpty(auth.secretRef);
  const headerName = nonEmpty(auth.headerName)?.toLowerCase();
  if (auth.type === "api_key") {
    if (!apiKey && !secretRef) return fail("auth.apiKey", "`api_key` auth needs a non-empty `apiKey` or `secretRef`");
    return {
      ok: true,
      config: {
        type: "api_key",
        ...(apiKey ? { apiKey } : {}),
        ...(secretRef ? { secretRef } : {}),
        headerName: headerName ?? DEFAULT_API_KEY_HEADER,
        queryParam: nonEmpty(auth.queryParam) ?? DEFAULT_API_KEY_QUERY_PARAM,
      },
    };
  }
  if (auth.type === "hmac") {
    if (!secretRef) return fail("auth.secretRef", "`hmac` auth needs a non-empty `secretRef`");
    return { ok: true, config: { type: "hmac", secretRef, signatureHeader: headerName ?? SIGNATURE_HEADER } };
  }
  const shown = auth.type === undefined ? "missing" : JSON.stringify(auth.type);
  return fail("auth.type", `webhook auth type must be "api_key" or "hmac" (got ${shown}); unauthenticated webhooks are not allowed`);
}

export type AuthOutcome =
  | { ok: true; replay?: { key: string; expiresAtMs: number } }
  | { ok: false; error: string; misconfiguration?: string };

export function authenticateWebhook(config: WebhookAuthConfig, request: WebhookRequest, resolveSecret: (ref: string) => string | undefined, nowMs: number): AuthOutcome {
  const secret = config.type === "api_key" && config.apiKey ? config.apiKey : resolveSecret(config.secretRef!);
  if (typeof secret !== "string" || secret === "") {
    return { ok: false, error: "unauthorized", misconfiguration: `secretRef '${config.secretRef}' does not name a defined, non-empty secret` };
  }
  if (config.type === "api_key") {
    const provided = headerValue(request.headers, config.headerName) ?? queryValue(request.query, config.queryParam);
    if (provided === undefined || !equalInConstantTime(provided, secret)) return { ok: false, error: "missing or invalid API key" };
    return { ok: true };
  }
  const timestamp = headerValue(request.headers, TIMESTAMP_HEADER);
  const signature = headerValue(request.headers, config.signatureHeader);
  if (timestamp === undefined || signature === undefined) return { ok: false, error: `missing ${config.signatureHeader} or ${TIMESTAMP_HEADER} header` };
  if (!/^\d{1,15}$/.test(timestamp.trim())) return { ok: false, error: `${TIMESTAMP_HEADER} must be Unix seconds` };
  const timestampS = Number(timestamp.trim());
  if (Math.abs(Math.floor(nowMs / 1000) - timestampS) > HMAC_WINDOW_S) {
    return { ok: false, error: `${TIMESTAMP_HEADER} is more than ${HMAC_WINDOW_S} s away from the server's clock` };
  }
  const expected = createHmac("sha256", secret).update(`${timestamp}.`).update(request.rawBody).digest("hex");
  const given = signature.trim().replace(/^sha256=/i, "").toLowerCase();
  if (!equalInConstantTime(given, expected)) return { ok: false, error: "invalid signature" };
  // The signature covers the timestamp, so it identifies this delivery until the window closes.
  return { ok: true, replay: { key: expected, expiresAtMs: (timestampS + HMAC_WINDOW_S + 1) * 1000 } };
}

/** The header and query parameter that carry an API key: kept out of the event, so no run stores the key. */
export function credentialLocations(config: WebhookAuthConfig): { header?: string; queryParam?: string } {
  return config.type === "api_key" ? { header: config.headerName, queryParam: config.queryParam } : {};
}

/** Hashing both sides first makes the buffers equal in length, as `timingSafeEqual` requires. */
export function equalInConstantTime(a: string, b: string): boolean {
  const digestA = createHash("sha256").update(a, "utf8").digest();
  const digestB = createHash("sha256").update(b, "utf8").digest();
  return timingSafeEqual(digestA, digestB);
}

/** The first value of a header, matched case-insensitively. */
export function headerValue(headers: WebhookRequest["headers"], name: string): string | undefined {
  const wanted = name.toLowerCase();
  let value = headers[wanted];
  if (value === undefined) {
    for (const [key, v] of Object.entries(headers)) {
      if (key.toLowerCase() === wanted) {
        value = v;
        break;
      }
    }
  }
  return firstString(value);
}

function queryValue(query: Record<string, unknown>, name: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(query, name) ? firstString(query[name]) : undefined;
}

function firstString(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (Array.isArray(value) && typeof value[0] === "string") return value[0];
  return undefined;
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value : undefined;
}

function fail(path: string, message: string): ReadAuthResult {
  return { ok: false, problems: [{ path, message }] };
}

/**
 * Config section `server` (SPEC §6/§7), checked once when the service starts. Every key is
 * optional; command-line flags win over `host` and `port`.
 *
 * ```jsonc
 * "server": {
 *   "api_tokens": ["{env:FLOCKFLOW_API_TOKEN}"],
 *   "host": "127.0.0.1", "port": 8787, "public_url": "https://flows.example.com",
 *   "body_limit_bytes": 1048576, "webhook_body_limit_bytes": 1048576,
 *   "retention_runs": 200, "invoke_concurrency": 16, "invoke_timeout_s": 300,
 *   "shutdown_grace_s": 3, "watch_interval_ms": 1000,
 *   "compaction": { "max_string_chars": 20000, "string_preview_chars": 500, "max_list_items": 1000,
 *                   "list_preview_items": 3, "max_dict_keys": 200, "dict_preview_keys": 30, "max_depth": 2 }
 * }
 * ```
 */
import { ConfigError } from "../errors.js";
import { isPlainObject } from "../model/get-path.js";
import type { CompactionLimits } from "../store/index.js";

export interface ServerSettings {
  apiTokens: string[];
  host?: string;
  port?: number;
  publicUrl?: string;
  bodyLimitBytes: number;
  webhookBodyLimitBytes: number;
  retentionRuns: number;
  invokeConcurrency: number;
  invokeTimeoutS: number;
  shutdownGraceS: number;
  watchIntervalMs: number;
  compaction: Partial<CompactionLimits>;
}

export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

const COMPACTION_KEYS: Record<string, keyof CompactionLimits> = {
  max_string_chars: "maxStringChars",
  string_preview_chars: "stringPreviewChars",
  max_list_items: "maxListItems",
  list_preview_items: "listPreviewItems",
  max_dict_keys: "maxDictKeys",
  dict_preview_keys: "dictPreviewKeys",
  max_depth: "maxDepth",
};

export function parseServerSettings(section: unknown, source?: string): ServerSettings {
  if (section !== undefined && !isPlainObject(section)) throw new ConfigError("server", "must be an object", source);
  const s = section ?? {};
  const tokens = s.api_tokens;
  if (tokens !== undefined && (!Array.isArray(tokens) || tokens.some((t) => typeof t !== "string"))) {
    throw new ConfigError("server.api_tokens", "must be a list of strings", source);
  }
  const compaction: Partial<CompactionLimits> = {};
  if (s.compaction !== undefined) {
    if (!isPlainObject(s.compaction)) throw new ConfigError("server.compaction", "must be an object", source);
    for (const [key, value] of Object.entries(s.compaction)) {
      const field = COMPACTION_KEYS[key];
      if (!field) throw new ConfigError(`server.compaction.${key}`, `unknown key (known: ${Object.keys(COMPACTION_KEYS).join(", ")})`, source);
      (compaction as Record<string, number>)[field] = integer(value, `server.compaction.${key}`, key === "max_depth" ? 0 : 1, source);
    }
  }
  return {
    apiTokens: (tokens as string[] | undefined) ?? [],
    host: optionalString(s.host, "server.host", source),
    port: s.port === undefined ? undefined : integer(s.port, "server.port", 0, source, 65_535),
    publicUrl: optionalString(s.public_url, "server.public_url", source),
    bodyLimitBytes: s.body_limit_bytes === undefined ? DEFAULT_BODY_LIMIT_BYTES : integer(s.body_limit_bytes, "server.body_limit_bytes", 1024, source),
    webhookBodyLimitBytes:
      s.webhook_body_limit_bytes === undefined ? DEFAULT_BODY_LIMIT_BYTES : integer(s.webhook_body_limit_bytes, "server.webhook_body_limit_bytes", 1024, source),
    retentionRuns: s.retention_runs === undefined ? 200 : integer(s.retention_runs, "server.retention_runs", 1, source),
    invokeConcurrency: s.invoke_concurrency === undefined ? 16 : integer(s.invoke_concurrency, "server.invoke_concurrency", 1, source),
    invokeTimeoutS: s.invoke_timeout_s === undefined ? 300 : positive(s.invoke_timeout_s, "server.invoke_timeout_s", source),
    shutdownGraceS: s.shutdown_grace_s === undefined ? 3 : nonNegative(s.shutdown_grace_s, "server.shutdown_grace_s", source),
    watchIntervalMs: s.watch_interval_ms === undefined ? 1000 : integer(s.watch_interval_ms, "server.watch_interval_ms", 50, source),
    compaction,
  };
}

function optionalString(value: unknown, key: string, source?: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.trim() === "") throw new ConfigError(key, "must be a non-empty string", source);
  return value;
}

function integer(value: unknown, key: string, min: number, source?: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(key, `must be an integer from ${min}${max === Number.MAX_SAFE_INTEGER ? " up" : ` to ${max}`}`, source);
  }
  return value;
}

function positive(value: unknown, key: string, source?: string): number {
  if (typeof value !== "number" || !(value > 0) || !Number.isFinite(value)) throw new ConfigError(key, "must be a positive number", source);
  return value;
}

function nonNegative(value: unknown, key: string, source?: string): number {
  if (typeof value !== "number" || !(value >= 0) || !Number.isFinite(value)) throw new ConfigError(key, "must be a number >= 0", source);
  return value;
}

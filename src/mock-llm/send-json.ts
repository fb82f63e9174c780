/** JSON answers, including OpenAI-style errors (`{error:{message,type,code}}`) by status. */
import { STATUS_CODES, type ServerResponse } from "node:http";

/** The `type` and `code` OpenAI puts in its error bodies for each status. */
const ERROR_KINDS: Record<number, { type: string; code: string | null }> = {
  400: { type: "invalid_request_error", code: null },
  401: { type: "invalid_request_error", code: "invalid_api_key" },
  403: { type: "permission_error", code: null },
  404: { type: "invalid_request_error", code: "model_not_found" },
  408: { type: "timeout_error", code: "request_timeout" },
  409: { type: "conflict_error", code: null },
  413: { type: "invalid_request_error", code: "request_too_large" },
  429: { type: "rate_limit_error", code: "rate_limit_exceeded" },
};

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

export interface ErrorOptions {
  message?: string;
  /** Overrides the status's usual `code` (an unknown route is a 404 but not a missing model). */
  code?: string | null;
  headers?: Record<string, string>;
}

export function openAiErrorBody(status: number, options: ErrorOptions = {}): { error: { message: string; type: string; code: string | null } } {
  const kind = ERROR_KINDS[status] ?? (status >= 500 ? { type: "server_error", code: null } : { type: "invalid_request_error", code: null });
  const message = options.message ?? `mock-llm: ${status} ${STATUS_CODES[status] ?? "error"}`;
  return { error: { message, type: kind.type, code: options.code === undefined ? kind.code : options.code } };
}

export function sendError(res: ServerResponse, status: number, options: ErrorOptions = {}): void {
  sendJson(res, status, openAiErrorBody(status, options), options.headers);
}

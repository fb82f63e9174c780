/**
 * What a provider implementation supplies: how to build the HTTP request for a chat call, and how to
 * read a JSON answer or a stream of SSE events. Adapters do no I/O and know nothing of deadlines,
 * retries or cancellation: the transport and `ask` own those.
 */
import type { ProviderView } from "../registry.js";

export interface ChatRequest {
  model: string;
  prompt: string;
  temperature: number;
  stream: boolean;
}

export interface HttpRequestSpec {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

export interface AttemptResult {
  text: string;
  reasoning: string;
  finishReason: string | null;
  usage: Usage | null;
}

export interface SseEvent {
  event?: string | undefined;
  data: string;
}

/** Decodes one attempt's stream. Hot path: `onEvent` runs once per SSE event. */
export interface StreamDecoder {
  /** Handle one event; returns true when it carried content (answer text or reasoning). */
  onEvent(event: SseEvent): boolean;
  /** The complete answer; throws LlmCallError when the stream did not end properly. */
  finish(): AttemptResult;
}

export interface ProviderAdapter {
  buildRequest(provider: ProviderView, request: ChatRequest): HttpRequestSpec;
  parseResponse(provider: ProviderView, body: unknown): AttemptResult;
  createStreamDecoder(provider: ProviderView, onToken: ((text: string) => void) | undefined): StreamDecoder;
  /** The human message inside an error response body, if it has one. */
  errorMessage(body: string): string;
}

/** `{"error": {"message": ...}}` and similar shapes → the message; else the raw text, shortened. */
export function errorMessageFromBody(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } | string; message?: unknown };
    if (typeof parsed.error === "string") return parsed.error;
    if (parsed.error && typeof parsed.error.message === "string") return parsed.error.message;
    if (typeof parsed.message === "string") return parsed.message;
  } catch {
    // not JSON: fall through to the text itself
  }
  const text = body.trim();
  return text.length > 300 ? `${text.slice(0, 300)}…` : text || "(empty body)";
}

/**
 * What every request to one provider view shares: the URL and the fixed headers for a streamed and
 * for a plain request. Built on a view's first request and kept while the view lives (views are
 * frozen, so it cannot go stale; a per-call derived view gets its own). The header objects are
 * templates, frozen: each request sends a copy, because undici's proxy agents write `host` into
 * the headers object they are given.
 */
export interface RequestBase {
  url: string;
  streamHeaders: Readonly<Record<string, string>>;
  plainHeaders: Readonly<Record<string, string>>;
}

/**
 * Memoizes an adapter's per-view request parts: the URL is the view's base URL plus `path`;
 * `builtinHeaders` gives the adapter's own headers for one `accept` value, and the configured
 * headers are merged over them.
 */
export function requestBaseCache(
  path: string,
  builtinHeaders: (provider: ProviderView, accept: string) => Record<string, string>,
): (provider: ProviderView) => RequestBase {
  const cache = new WeakMap<ProviderView, RequestBase>();
  const headersFor = (provider: ProviderView, accept: string): Readonly<Record<string, string>> => {
    const headers = builtinHeaders(provider, accept);
    mergeHeaders(headers, provider.headers);
    return Object.freeze(headers);
  };
  return (provider) => {
    let base = cache.get(provider);
    if (!base) {
      base = {
        url: `${provider.baseUrl}${path}`,
        streamHeaders: headersFor(provider, "text/event-stream"),
        plainHeaders: headersFor(provider, "application/json"),
      };
      cache.set(provider, base);
    }
    return base;
  };
}

/**
 * Adds configured headers to built-in ones. HTTP header names are case-insensitive, so names are
 * lower-cased first: a configured `Authorization` replaces the built-in `authorization` instead of
 * being sent beside it.
 */
export function mergeHeaders(headers: Record<string, string>, configured: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(configured)) headers[name.toLowerCase()] = value;
}

/**
 * The public shapes of the mock LLM server (issue 3, item 8): what a test scripts (behaviours and
 * rules) and what it reads back (request records and counters). Spec only; no logic here.
 */

/**
 * How to answer one chat completion request. Every field is optional; `{}` is a normal reply.
 *
 * "Chunks" are the SSE delta chunks in the order they are sent: the `reasoning` chunks first, then
 * the content chunks. The `...AfterChunks` faults count those, and never go past the last content
 * chunk: a fault always comes before the `finish_reason` chunk and `[DONE]`.
 */
export interface MockBehavior {
  /** Content. Default: `mock reply from ${model}: ${lastUserMessage}`. */
  reply?: string;
  /** Streamed first as `reasoning_content` deltas; `message.reasoning_content` when not streaming. */
  reasoning?: string;
  /** Split the reply (and the reasoning) into this many chunks; default 4, fewer if shorter. */
  chunkCount?: number;
  /** Delay between two chunks. Default 0. */
  chunkDelayMs?: number;
  /** Delay before the status line and headers are sent. */
  firstByteDelayMs?: number;
  /** Send 200 and the headers, then nothing until the client goes away. */
  stallAfterHeaders?: boolean;
  /** Send this many chunks, then nothing until the client goes away. */
  stallAfterChunks?: number;
  /** Answer with this HTTP status and an OpenAI-style `{error:{message,type,code}}` body. */
  status?: number;
  /** With `status`: a `Retry-After: <n>` header. */
  retryAfterS?: number;
  /** Send this many chunks, then `socket.destroy()`: no terminating chunk, no [DONE]. */
  destroyAfterChunks?: number;
  /** Send this many chunks, then `data: {not json` and end the response normally. */
  malformedAfterChunks?: number;
  /** Send this many chunks, then an SSE `data: {"error":{...}}` event and end. */
  errorEventAfterChunks?: number;
  /** `choices: []` (streaming: one such chunk, then [DONE]). */
  emptyChoices?: boolean;
  /**
   * Apply the fault fields (status, retryAfterS, firstByteDelayMs, stall*, destroy*, malformed*,
   * errorEvent*, emptyChoices) only to the first N requests this behaviour was selected for; later
   * ones get the normal reply (reply, reasoning, chunking and usage still apply).
   */
  failFirst?: number;
  /** Reported usage. Default: an estimate of about four characters per token. */
  usage?: { prompt_tokens: number; completion_tokens: number };
}

export interface MockRuleMatch {
  /** Exact match on the request body's `model`. */
  model?: string;
  /** Substring of the last user message. */
  promptIncludes?: string;
  /** Request header name (any case) and exact value. */
  header?: [string, string];
}

/** A rule applies when every field of `match` matches; no `match` matches every request. */
export interface MockRule {
  match?: MockRuleMatch;
  behavior: MockBehavior;
}

export interface MockLlmServerOptions {
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Listed by `GET /v1/models`. Default `["mock-model"]`. Any model name is answered. */
  models?: string[];
  rules?: MockRule[];
  /** When set, `/v1/*` requires `Authorization: Bearer <apiKey>`, else 401. */
  apiKey?: string;
}

export type MockRequestOutcome = "completed" | "client_aborted" | "destroyed" | "error_status";

/** One `POST /v1/chat/completions`. Times are the server process's `performance.now()`. */
export interface MockRequestRecord {
  id: number;
  /** `""` until the body has been read, or when it named no model. */
  model: string;
  stream: boolean;
  path: string;
  authorization: string | null;
  headers: Record<string, string>;
  /** The parsed JSON body; null when it was not valid JSON or the client left before sending it. */
  body: unknown;
  startedAtMs: number;
  finishedAtMs?: number;
  outcome?: MockRequestOutcome;
}

export interface MockClientAbort {
  requestId: number;
  model: string;
  atMs: number;
}

export interface MockStats {
  /** Chat completion requests received, whatever their outcome. */
  requests: number;
  /** The same, by the body's `model` (requests without one are not listed). */
  requestsByModel: Record<string, number>;
  connectionsOpened: number;
  connectionsOpen: number;
  /** Chat completion requests started and not yet finished or aborted. */
  inFlight: number;
  peakInFlight: number;
  /** Responses the client closed before the server had finished them. */
  clientAborts: MockClientAbort[];
}

export interface MockLlmServer {
  /** `http://host:port/v1`, ready to be a provider's base URL. */
  readonly url: string;
  readonly port: number;
  stats(): MockStats;
  /** The most recent requests, oldest first (at most 1,000; the counters in stats() count all). */
  requests(): MockRequestRecord[];
  setRules(rules: MockRule[]): void;
  /** Clears the counters, the request log and the failFirst counts. Open connections stay open. */
  reset(): void;
  /** Destroys every open socket; resolves once the server and all of them are closed. */
  close(): Promise<void>;
}

/**
 * One LLM attempt over undici: send the request on the shared dispatcher, read the answer (JSON or
 * SSE), and settle exactly once with the full text or an error. Hot path: SSE bytes → events →
 * tokens runs here.
 *
 * SPEC §1.3, every exit path releases the request before the call settles:
 * - success: the body was read to its end, so undici returns the socket to the pool;
 * - an error status: the (bounded) error body is read to its end, or the body is destroyed;
 * - a deadline or a cancel: the deadlines' signal aborts the request, which destroys the socket;
 * - a broken, malformed or erroring stream: the body is destroyed (the socket is not reusable).
 * No partial text of a failed attempt ever leaves this function.
 *
 * A connection that breaks before any response byte on a socket taken from the pool is most likely
 * a keep-alive socket the server had already closed (peers.md #24); such a request is sent again at
 * once, one time, on a fresh connection.
 */
import { TextDecoder } from "node:util";
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { request, type Dispatcher } from "undici";
import { LlmCallError } from "../../errors.js";
import type { ProviderView } from "../registry.js";
import type { AttemptResult, ChatRequest, HttpRequestSpec, ProviderAdapter } from "../providers/provider-adapter.js";
import { isRetryableStatus, parseRetryAfter } from "../retry-policy.js";
import type { AttemptDeadlines, AttemptSignal } from "./attempt-deadlines.js";

const ERROR_BODY_LIMIT = 64 * 1024;
const STALE_SOCKET_CODES = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET"]);

export interface AttemptInput {
  dispatcher: Dispatcher;
  provider: ProviderView;
  adapter: ProviderAdapter;
  chat: ChatRequest;
  deadlines: AttemptDeadlines;
  /** Called with each piece of answer text as it streams (only when someone listens). */
  onToken?: ((text: string) => void) | undefined;
}

export async function sendAttempt(input: AttemptInput): Promise<AttemptResult> {
  const { provider, adapter, chat, deadlines } = input;
  const spec = adapter.buildRequest(provider, chat);
  const response = await openResponse(input, spec);
  const body = response.body;
  let consumed = false;
  try {
    if (response.statusCode >= 400) {
      const text = await readLimited(body, ERROR_BODY_LIMIT);
      consumed = true;
      throw new LlmCallError("FF_LLM_HTTP_STATUS", provider.id, `HTTP ${response.statusCode}: ${adapter.errorMessage(text)}`, {
        status: response.statusCode,
        isRetryable: isRetryableStatus(response.statusCode),
        retryAfterMs: parseRetryAfter(response.headers["retry-after"]),
      });
    }
    if (!chat.stream) {
      const text = await body.text();
      consumed = true;
      deadlines.firstChunk();
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new LlmCallError("FF_LLM_RESPONSE", provider.id, `the answer is not JSON (${text.slice(0, 80)})`, { isRetryable: true });
      }
      return adapter.parseResponse(provider, parsed);
    }
    const result = await readStream(body, input);
    consumed = true;
    return result;
  } catch (error) {
    if (deadlines.signal.aborted) throw deadlines.signal.reason;
    if (error instanceof LlmCallError) throw error;
    throw new LlmCallError("FF_LLM_STREAM", provider.id, `the stream was cut: ${describeCause(error)}`, { isRetryable: true, cause: error });
  } finally {
    // Destroy, don't return to the pool: the body was not read to its end.
    if (!consumed && !body.destroyed) body.destroy();
  }
}

async function openResponse(input: AttemptInput, spec: HttpRequestSpec): Promise<Dispatcher.ResponseData> {
  const { deadlines, provider } = input;
  for (let sent = 0; ; sent++) {
    try {
      const target = requestTarget(spec.url);
      // Straight to the dispatcher when the URL is known (see requestTarget); undici's top-level
      // `request(url)` would parse the URL and copy the options again on every call (~2-3 µs).
      const { headers, body } = spec;
      const signal = deadlines.signal;
      const pending = target
        ? input.dispatcher.request({ origin: target.origin, path: target.path, method: "POST", headers, body, signal })
        : request(spec.url, { method: "POST", headers, body, signal, dispatcher: input.dispatcher });
      return await settleOnAbort(pending, deadlines.signal);
    } catch (error) {
      if (deadlines.signal.aborted) throw deadlines.signal.reason;
      const code = (error as { code?: string }).code;
      if (sent === 0 && code !== undefined && STALE_SOCKET_CODES.has(code)) continue;
      throw new LlmCallError("FF_LLM_CONNECTION", provider.id, `connection failed: ${describeCause(error)}`, { isRetryable: true, cause: error });
    }
  }
}

/** Origin and path of the provider URLs seen so far (a handful per process; bounded anyway). */
const targets = new Map<string, { origin: string; path: string }>();
const MAX_TARGETS = 256;

/**
 * The origin and path undici's `request(url)` would derive from `url`, or undefined for a URL it
 * should judge itself (not http(s), or not a URL: undici then throws its own error).
 */
function requestTarget(url: string): { origin: string; path: string } | undefined {
  let target = targets.get(url);
  if (target) return target;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return undefined;
  target = { origin: parsed.origin, path: parsed.search ? `${parsed.pathname}${parsed.search}` : parsed.pathname };
  if (targets.size >= MAX_TARGETS) targets.clear();
  targets.set(url, target);
  return target;
}

/**
 * undici records an abort of a request that is still queued for a connection and acts on it only
 * when the request is dispatched (it is then dropped unsent). The attempt must settle at once
 * anyway, so race the abort; a response that still arrives is destroyed.
 */
function settleOnAbort(pending: Promise<Dispatcher.ResponseData>, signal: AttemptSignal): Promise<Dispatcher.ResponseData> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      pending.then((late) => late.body.destroy(), () => {});
      reject(signal.reason);
    };
    if (signal.aborted) return onAbort();
    signal.once("abort", onAbort);
    pending.then(
      (response) => {
        signal.removeListener("abort", onAbort);
        resolve(response);
      },
      (error: unknown) => {
        signal.removeListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

const PREMATURE_CLOSE = "ERR_STREAM_PREMATURE_CLOSE";
const STREAM_DECODE = { stream: true } as const;

/**
 * SSE → events → tokens, driven by the body's `data` events (an async iterator over the body costs
 * a promise per chunk and more to set up). The parser callback is created once per attempt; per
 * chunk the handler only decodes, feeds, and the decoder refreshes the idle deadline. Settles once:
 * with the answer at `end`, or with the first error (a decoder error, the body's error, or a close
 * before the end, which is what a `for await` over the body would throw).
 */
function readStream(body: Dispatcher.ResponseData["body"], input: AttemptInput): Promise<AttemptResult> {
  const { deadlines } = input;
  const decoder = input.adapter.createStreamDecoder(input.provider, input.onToken);
  let first = true;
  let failure: unknown;
  const parser = createParser({
    onEvent(message: EventSourceMessage) {
      if (failure !== undefined) return;
      try {
        if (decoder.onEvent(message) && first) {
          first = false;
          deadlines.firstChunk();
        }
        deadlines.touch();
      } catch (error) {
        failure = error;
      }
    },
  });
  const text = new Utf8Chunks();
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: unknown): void => {
      if (settled) return;
      settled = true;
      // The caller destroys the body: it was not read to its end.
      reject(error);
    };
    body.on("data", (chunk: Buffer) => {
      if (settled) return;
      parser.feed(text.decode(chunk));
      if (failure !== undefined) fail(failure);
    });
    body.on("end", () => {
      if (settled) return;
      settled = true;
      try {
        resolve(decoder.finish());
      } catch (error) {
        reject(error);
      }
    });
    body.on("error", fail);
    // After `end` (every success) the body closes too: build the error only when it is needed.
    body.on("close", () => {
      if (!settled) fail(Object.assign(new Error("Premature close"), { code: PREMATURE_CLOSE }));
    });
  });
}

/**
 * UTF-8 chunks → text, as one streaming TextDecoder would decode them. A chunk that ends in an
 * ASCII byte (a server flushes whole SSE events, which end in "\n") carries no partial character
 * into the next, so Buffer#toString decodes it alone; a TextDecoder, whose creation costs more than
 * decoding a small chunk, is made only when a chunk ends inside a character (or the stream starts
 * with a byte-order mark, which it drops), and then decodes the rest of the stream.
 */
export class Utf8Chunks {
  #decoder: TextDecoder | undefined;
  #first = true;

  decode(chunk: Buffer): string {
    if (this.#decoder) return this.#decoder.decode(chunk, STREAM_DECODE);
    const n = chunk.length;
    if (n === 0) return "";
    const first = this.#first;
    this.#first = false;
    const bom = first && n >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf;
    if (!bom && chunk[n - 1]! < 0x80) return chunk.toString("utf8");
    // A mark only counts at the start of the stream, as for a TextDecoder that saw every chunk.
    this.#decoder = new TextDecoder("utf-8", { ignoreBOM: !first });
    return this.#decoder.decode(chunk, STREAM_DECODE);
  }
}

async function readLimited(body: Dispatcher.ResponseData["body"], limit: number): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer = chunk as Buffer;
    if (size + buffer.length > limit) {
      parts.push(buffer.subarray(0, limit - size));
      body.destroy();
      break;
    }
    parts.push(buffer);
    size += buffer.length;
  }
  return Buffer.concat(parts).toString("utf8");
}

function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: string }).code;
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : "";
  return code ? `${code}: ${error.message}${cause}` : `${error.message}${cause}`;
}

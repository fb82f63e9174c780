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
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { request, type Dispatcher } from "undici";
import { LlmCallError } from "../../errors.js";
import type { ProviderView } from "../registry.js";
import type { AttemptResult, ChatRequest, ProviderAdapter } from "../providers/provider-adapter.js";
import { isRetryableStatus, parseRetryAfter } from "../retry-policy.js";
import type { AttemptDeadlines } from "./attempt-deadlines.js";

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

async function openResponse(input: AttemptInput, spec: { url: string; headers: Record<string, string>; body: string }): Promise<Dispatcher.ResponseData> {
  const { deadlines, provider } = input;
  for (let sent = 0; ; sent++) {
    try {
      const pending = request(spec.url, {
        method: "POST",
        headers: spec.headers,
        body: spec.body,
        dispatcher: input.dispatcher,
        signal: deadlines.signal,
      });
      return await settleOnAbort(pending, deadlines.signal);
    } catch (error) {
      if (deadlines.signal.aborted) throw deadlines.signal.reason;
      const code = (error as { code?: string }).code;
      if (sent === 0 && code !== undefined && STALE_SOCKET_CODES.has(code)) continue;
      throw new LlmCallError("FF_LLM_CONNECTION", provider.id, `connection failed: ${describeCause(error)}`, { isRetryable: true, cause: error });
    }
  }
}

/**
 * undici records an abort of a request that is still queued for a connection and acts on it only
 * when the request is dispatched (it is then dropped unsent). The attempt must settle at once
 * anyway, so race the abort; a response that still arrives is destroyed.
 */
function settleOnAbort(pending: Promise<Dispatcher.ResponseData>, signal: AbortSignal): Promise<Dispatcher.ResponseData> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      pending.then((late) => late.body.destroy(), () => {});
      reject(signal.reason);
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    pending.then(
      (response) => {
        signal.removeEventListener("abort", onAbort);
        resolve(response);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/**
 * SSE → events → tokens. The parser callback is created once per attempt; per chunk the loop only
 * decodes, feeds, and refreshes the idle timer.
 */
async function readStream(body: Dispatcher.ResponseData["body"], input: AttemptInput): Promise<AttemptResult> {
  const { deadlines } = input;
  const decoder = input.adapter.createStreamDecoder(input.provider, input.onToken);
  let first = true;
  let failure: unknown;
  const parser = createParser({
    onEvent(message: EventSourceMessage) {
      if (failure !== undefined) return;
      try {
        if (decoder.onEvent({ event: message.event, data: message.data }) && first) {
          first = false;
          deadlines.firstChunk();
        }
        deadlines.touch();
      } catch (error) {
        failure = error;
      }
    },
  });
  const text = new TextDecoder();
  for await (const chunk of body) {
    parser.feed(text.decode(chunk as Uint8Array, { stream: true }));
    if (failure !== undefined) throw failure;
  }
  return decoder.finish();
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

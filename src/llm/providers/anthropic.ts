/**
 * Anthropic Messages API (`POST {baseURL}/messages`), streaming by default. Text arrives in
 * `content_block_delta` events (`text_delta`), thinking in `thinking_delta`; `message_stop` ends the
 * stream and an `error` event reports an upstream failure.
 */
import { LlmCallError } from "../../errors.js";
import type { ProviderView } from "../registry.js";
import { errorMessageFromBody, requestBaseCache, type AttemptResult, type ProviderAdapter, type SseEvent, type StreamDecoder, type Usage } from "./provider-adapter.js";

const ANTHROPIC_VERSION = "2023-06-01";
const DEFAULT_MAX_TOKENS = 4096;

interface AnthropicEvent {
  type?: string;
  delta?: { type?: string; text?: string; thinking?: string; stop_reason?: string | null };
  message?: { usage?: { input_tokens?: number; output_tokens?: number } };
  usage?: { input_tokens?: number; output_tokens?: number };
  error?: { message?: string };
}

class AnthropicStreamDecoder implements StreamDecoder {
  readonly #provider: ProviderView;
  readonly #onToken: ((text: string) => void) | undefined;
  #text = "";
  #reasoning = "";
  #finishReason: string | null = null;
  #promptTokens = 0;
  #completionTokens = 0;
  #started = false;
  #done = false;

  constructor(provider: ProviderView, onToken: ((text: string) => void) | undefined) {
    this.#provider = provider;
    this.#onToken = onToken;
  }

  onEvent(event: SseEvent): boolean {
    let data: AnthropicEvent;
    try {
      data = JSON.parse(event.data) as AnthropicEvent;
    } catch {
      throw new LlmCallError("FF_LLM_STREAM", this.#provider.id, `malformed stream: an event is not JSON (${event.data.slice(0, 80)})`, { isRetryable: true });
    }
    switch (data.type ?? event.event) {
      case "message_start":
        this.#started = true;
        this.#promptTokens = data.message?.usage?.input_tokens ?? 0;
        return false;
      case "content_block_delta":
        if (data.delta?.type === "thinking_delta" && data.delta.thinking) {
          this.#reasoning += data.delta.thinking;
          return true;
        }
        if (data.delta?.text) {
          this.#text += data.delta.text;
          this.#onToken?.(data.delta.text);
          return true;
        }
        return false;
      case "message_delta":
        if (data.delta?.stop_reason) this.#finishReason = data.delta.stop_reason;
        if (data.usage?.output_tokens !== undefined) this.#completionTokens = data.usage.output_tokens;
        return false;
      case "message_stop":
        this.#done = true;
        return false;
      case "error":
        throw new LlmCallError("FF_LLM_STREAM", this.#provider.id, `the stream reported an error: ${data.error?.message ?? "unknown error"}`, { isRetryable: true });
      default:
        return false;
    }
  }

  finish(): AttemptResult {
    if (!this.#started || !this.#done) {
      throw new LlmCallError("FF_LLM_STREAM", this.#provider.id, "the stream ended before the answer was complete", { isRetryable: true });
    }
    const usage: Usage = { promptTokens: this.#promptTokens, completionTokens: this.#completionTokens };
    return { text: this.#text, reasoning: this.#reasoning, finishReason: this.#finishReason, usage };
  }
}

const requestBase = requestBaseCache("/messages", (provider, accept) => {
  const headers: Record<string, string> = { "content-type": "application/json", accept, "anthropic-version": ANTHROPIC_VERSION };
  if (provider.apiKey) headers["x-api-key"] = provider.apiKey;
  return headers;
});

export const anthropic: ProviderAdapter = {
  buildRequest(provider, request) {
    const base = requestBase(provider);
    const body = {
      model: request.model,
      max_tokens: DEFAULT_MAX_TOKENS,
      messages: [{ role: "user", content: request.prompt }],
      temperature: request.temperature,
      stream: request.stream,
    };
    return { url: base.url, headers: { ...(request.stream ? base.streamHeaders : base.plainHeaders) }, body: JSON.stringify(body) };
  },

  parseResponse(provider, raw) {
    const body = raw as { content?: Array<{ type?: string; text?: string; thinking?: string }>; stop_reason?: string | null; usage?: { input_tokens?: number; output_tokens?: number } };
    if (!Array.isArray(body?.content)) {
      throw new LlmCallError("FF_LLM_RESPONSE", provider.id, "the provider returned no content", { isRetryable: false });
    }
    const text = body.content.filter((b) => b.type === "text").map((b) => b.text ?? "").join("");
    const reasoning = body.content.filter((b) => b.type === "thinking").map((b) => b.thinking ?? "").join("");
    const usage = body.usage ? { promptTokens: body.usage.input_tokens ?? 0, completionTokens: body.usage.output_tokens ?? 0 } : null;
    return { text, reasoning, finishReason: body.stop_reason ?? null, usage };
  },

  createStreamDecoder(provider, onToken) {
    return new AnthropicStreamDecoder(provider, onToken);
  },

  errorMessage: errorMessageFromBody,
};

/**
 * OpenAI Chat Completions (`POST {baseURL}/chat/completions`), streaming by default with usage, plain
 * JSON when the provider says `stream: false`. Covers OpenAI, DeepSeek, Ollama, vLLM, OpenRouter,
 * LiteLLM and most gateways. Reasoning arrives as `reasoning_content` / `reasoning` fields or inline
 * `<think>` blocks; either way it is kept out of the answer text.
 */
import { LlmCallError } from "../../errors.js";
import type { ProviderView } from "../registry.js";
import { ThinkTagFilter, splitThinkTags } from "./think-tags.js";
import { errorMessageFromBody, requestBaseCache, type AttemptResult, type ProviderAdapter, type SseEvent, type StreamDecoder, type Usage } from "./provider-adapter.js";

interface Delta {
  content?: string | null;
  reasoning_content?: string | null;
  reasoning?: string | null;
}
interface StreamChunk {
  choices?: Array<{ delta?: Delta; finish_reason?: string | null }>;
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
  error?: { message?: string } | string;
}

function usageOf(raw: StreamChunk["usage"]): Usage | null {
  if (!raw) return null;
  return { promptTokens: raw.prompt_tokens ?? 0, completionTokens: raw.completion_tokens ?? 0 };
}

function responseError(provider: ProviderView, message: string): LlmCallError {
  return new LlmCallError("FF_LLM_RESPONSE", provider.id, message, { isRetryable: false });
}

class OpenAiStreamDecoder implements StreamDecoder {
  readonly #provider: ProviderView;
  readonly #onToken: ((text: string) => void) | undefined;
  readonly #think = new ThinkTagFilter();
  #text = "";
  #reasoning = "";
  #finishReason: string | null = null;
  #usage: Usage | null = null;
  #sawChoice = false;
  #done = false;

  constructor(provider: ProviderView, onToken: ((text: string) => void) | undefined) {
    this.#provider = provider;
    this.#onToken = onToken;
  }

  onEvent(event: SseEvent): boolean {
    const data = event.data;
    if (data === "[DONE]") {
      this.#done = true;
      return false;
    }
    let chunk: StreamChunk;
    try {
      chunk = JSON.parse(data) as StreamChunk;
    } catch {
      throw new LlmCallError("FF_LLM_STREAM", this.#provider.id, `malformed stream: an event is not JSON (${data.slice(0, 80)})`, { isRetryable: true });
    }
    if (chunk.error) {
      const message = typeof chunk.error === "string" ? chunk.error : (chunk.error.message ?? "unknown error");
      throw new LlmCallError("FF_LLM_STREAM", this.#provider.id, `the stream reported an error: ${message}`, { isRetryable: true });
    }
    if (chunk.usage) this.#usage = usageOf(chunk.usage);
    const choice = chunk.choices?.[0];
    if (!choice) return false;
    this.#sawChoice = true;
    if (choice.finish_reason) this.#finishReason = choice.finish_reason;
    const delta = choice.delta;
    if (!delta) return false;
    let content = false;
    const reasoning = delta.reasoning_content ?? delta.reasoning;
    if (reasoning) {
      this.#reasoning += reasoning;
      content = true;
    }
    if (delta.content) {
      const visible = this.#think.push(delta.content);
      if (visible) {
        this.#text += visible;
        this.#onToken?.(visible);
      }
      content = true;
    }
    return content;
  }

  finish(): AttemptResult {
    if (!this.#done && this.#finishReason === null) {
      throw new LlmCallError("FF_LLM_STREAM", this.#provider.id, "the stream ended before the answer was complete", { isRetryable: true });
    }
    if (!this.#sawChoice) throw responseError(this.#provider, "the provider returned empty choices");
    const rest = this.#think.flush();
    if (rest) {
      this.#text += rest;
      this.#onToken?.(rest);
    }
    return { text: this.#text, reasoning: this.#reasoning + this.#think.reasoning, finishReason: this.#finishReason, usage: this.#usage };
  }
}

const requestBase = requestBaseCache("/chat/completions", (provider, accept) => {
  const headers: Record<string, string> = { "content-type": "application/json", accept };
  if (provider.apiKey) headers.authorization = `Bearer ${provider.apiKey}`;
  return headers;
});

export const openAiCompatible: ProviderAdapter = {
  buildRequest(provider, request) {
    const base = requestBase(provider);
    const body: Record<string, unknown> = {
      model: request.model,
      messages: [{ role: "user", content: request.prompt }],
      temperature: request.temperature,
      stream: request.stream,
    };
    if (request.stream) body.stream_options = { include_usage: true };
    return { url: base.url, headers: { ...(request.stream ? base.streamHeaders : base.plainHeaders) }, body: JSON.stringify(body) };
  },

  parseResponse(provider, raw) {
    const body = raw as { choices?: Array<{ message?: { content?: string | null; reasoning_content?: string | null; reasoning?: string | null } | null; finish_reason?: string | null }>; usage?: StreamChunk["usage"] };
    const choice = body?.choices?.[0];
    if (!choice) throw responseError(provider, "the provider returned empty choices");
    if (!choice.message) throw responseError(provider, "the provider returned a choice with a null message");
    const [text, inlineReasoning] = splitThinkTags(choice.message.content ?? "");
    const reasoning = (choice.message.reasoning_content ?? choice.message.reasoning ?? "") + inlineReasoning;
    return { text, reasoning, finishReason: choice.finish_reason ?? null, usage: usageOf(body.usage) };
  },

  createStreamDecoder(provider, onToken) {
    return new OpenAiStreamDecoder(provider, onToken);
  },

  errorMessage: errorMessageFromBody,
};

/**
 * The JSON the mock answers with, in the shapes OpenAI's Chat Completions API uses. Everything but
 * `created` is a function of the request and the behaviour, so replies are deterministic.
 */
import type { ChatRequest } from "./chat-request.js";
import type { MockBehavior } from "./types.js";

const DEFAULT_CHUNK_COUNT = 4;

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** One reply, worked out before the first byte is sent. */
export interface ReplyPlan {
  id: string;
  created: number;
  model: string;
  reply: string;
  reasoning: string;
  /** Reasoning chunks first, then content chunks: the order they are streamed in. */
  chunks: Array<{ field: "reasoning_content" | "content"; text: string }>;
  usage: Usage;
}

export function planReply(requestId: number, request: ChatRequest, behavior: MockBehavior): ReplyPlan {
  const reply = behavior.reply ?? `mock reply from ${request.model}: ${request.lastUserMessage}`;
  const reasoning = behavior.reasoning ?? "";
  const count = behavior.chunkCount ?? DEFAULT_CHUNK_COUNT;
  const chunks = [
    ...splitText(reasoning, count).map((text) => ({ field: "reasoning_content" as const, text })),
    ...splitText(reply, count).map((text) => ({ field: "content" as const, text })),
  ];
  const prompt = behavior.usage?.prompt_tokens ?? estimateTokens(request.promptChars);
  const completion = behavior.usage?.completion_tokens ?? estimateTokens(reply.length + reasoning.length);
  return {
    id: `chatcmpl-mock-${requestId}`,
    created: Math.floor(Date.now() / 1000),
    model: request.model,
    reply,
    reasoning,
    chunks,
    usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
  };
}

/** `count` pieces of near-equal length (fewer when the text is shorter); code points are never split. */
export function splitText(text: string, count: number): string[] {
  const chars = Array.from(text);
  const n = Math.min(count, chars.length);
  const pieces: string[] = [];
  for (let i = 0; i < n; i++) pieces.push(chars.slice(Math.floor((i * chars.length) / n), Math.floor(((i + 1) * chars.length) / n)).join(""));
  return pieces;
}

/** About four characters per token: deterministic, and close enough for budgets in tests. */
function estimateTokens(chars: number): number {
  return Math.ceil(chars / 4);
}

export function completionBody(plan: ReplyPlan, emptyChoices: boolean): object {
  const message: Record<string, string> = { role: "assistant", content: plan.reply };
  if (plan.reasoning !== "") message.reasoning_content = plan.reasoning;
  return {
    id: plan.id,
    object: "chat.completion",
    created: plan.created,
    model: plan.model,
    choices: emptyChoices ? [] : [{ index: 0, message, finish_reason: "stop" }],
    usage: plan.usage,
  };
}

/** An SSE `data:` event carrying one `chat.completion.chunk`. */
export function chunkEvent(plan: ReplyPlan, choices: object[], usage?: Usage): string {
  const chunk: Record<string, unknown> = { id: plan.id, object: "chat.completion.chunk", created: plan.created, model: plan.model, choices };
  if (usage) chunk.usage = usage;
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

/** The delta chunk for `plan.chunks[index]`; the first one also carries the role, as OpenAI's does. */
export function deltaEvent(plan: ReplyPlan, index: number): string {
  const { field, text } = plan.chunks[index]!;
  const delta = index === 0 ? { role: "assistant", [field]: text } : { [field]: text };
  return chunkEvent(plan, [{ index: 0, delta, finish_reason: null }]);
}

export function finishEvent(plan: ReplyPlan): string {
  // A reply with no chunks at all (an empty reply) still tells the client who is speaking.
  const delta = plan.chunks.length === 0 ? { role: "assistant", content: "" } : {};
  return chunkEvent(plan, [{ index: 0, delta, finish_reason: "stop" }]);
}

export const DONE_EVENT = "data: [DONE]\n\n";
export const MALFORMED_EVENT = "data: {not json\n\n";
export const ERROR_EVENT_BODY = { error: { message: "upstream overloaded", type: "server_error" } };
export const ERROR_EVENT = `data: ${JSON.stringify(ERROR_EVENT_BODY)}\n\n`;

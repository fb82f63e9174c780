/**
 * Anthropic Messages API shapes for the scripted upstream: the streamed event sequence
 * (message_start, content_block_start, content_block_delta with thinking_delta / text_delta,
 * content_block_stop, message_delta with stop_reason and usage, message_stop) and the JSON body of a
 * non-streamed answer.
 */
import type { ServerResponse } from "node:http";
import { sendJson, sseEvent, startSse } from "./scripted-upstream.js";

export interface AnthropicReply {
  text: string[];
  thinking?: string[];
  stopReason?: string;
  inputTokens?: number;
  outputTokens?: number;
}

/** Every event of a complete streamed answer, in order. */
export function anthropicEvents(reply: AnthropicReply): string[] {
  const events: string[] = [
    sseEvent(
      { type: "message_start", message: { id: "msg_1", type: "message", role: "assistant", content: [], model: "claude-x", stop_reason: null, usage: { input_tokens: reply.inputTokens ?? 10, output_tokens: 1 } } },
      "message_start",
    ),
  ];
  let index = 0;
  if (reply.thinking) {
    events.push(sseEvent({ type: "content_block_start", index, content_block: { type: "thinking", thinking: "" } }, "content_block_start"));
    for (const piece of reply.thinking) events.push(sseEvent({ type: "content_block_delta", index, delta: { type: "thinking_delta", thinking: piece } }, "content_block_delta"));
    events.push(sseEvent({ type: "content_block_delta", index, delta: { type: "signature_delta", signature: "sig" } }, "content_block_delta"));
    events.push(sseEvent({ type: "content_block_stop", index }, "content_block_stop"));
    index++;
  }
  events.push(sseEvent({ type: "content_block_start", index, content_block: { type: "text", text: "" } }, "content_block_start"));
  events.push(sseEvent({ type: "ping" }, "ping"));
  for (const piece of reply.text) events.push(sseEvent({ type: "content_block_delta", index, delta: { type: "text_delta", text: piece } }, "content_block_delta"));
  events.push(sseEvent({ type: "content_block_stop", index }, "content_block_stop"));
  events.push(sseEvent({ type: "message_delta", delta: { stop_reason: reply.stopReason ?? "end_turn", stop_sequence: null }, usage: { output_tokens: reply.outputTokens ?? 5 } }, "message_delta"));
  events.push(sseEvent({ type: "message_stop" }, "message_stop"));
  return events;
}

export function sendAnthropicStream(res: ServerResponse, events: string[]): void {
  startSse(res);
  res.end(events.join(""));
}

export function anthropicErrorEvent(type: string, message: string): string {
  return sseEvent({ type: "error", error: { type, message } }, "error");
}

/** A non-streamed Messages answer. */
export function sendAnthropicJson(res: ServerResponse, reply: AnthropicReply): void {
  const content: unknown[] = [];
  if (reply.thinking) content.push({ type: "thinking", thinking: reply.thinking.join(""), signature: "sig" });
  content.push({ type: "text", text: reply.text.join("") });
  sendJson(res, 200, {
    id: "msg_1",
    type: "message",
    role: "assistant",
    model: "claude-x",
    content,
    stop_reason: reply.stopReason ?? "end_turn",
    stop_sequence: null,
    usage: { input_tokens: reply.inputTokens ?? 10, output_tokens: reply.outputTokens ?? 5 },
  });
}

/** Anthropic's error body shape: `{"type":"error","error":{"type":...,"message":...}}`. */
export function sendAnthropicError(res: ServerResponse, status: number, type: string, message: string): void {
  sendJson(res, status, { type: "error", error: { type, message } });
}

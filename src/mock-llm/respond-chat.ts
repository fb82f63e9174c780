/**
 * Answers one chat completion with its behaviour: the faults before the headers (first-byte delay,
 * an error status), then the body, streamed as SSE or as one JSON document, cut short by at most
 * one fault. When several chunk faults are set, the one with the fewest chunks wins (ties in the
 * order stall, destroy, malformed, error event).
 *
 * Not streaming, there are no chunks to count: the reply arrives after the time its chunks would
 * have taken; "after N chunks" faults with N > 0 send the first half of the JSON text first.
 */
import type { ChatRequest } from "./chat-request.js";
import {
  chunkEvent,
  completionBody,
  deltaEvent,
  DONE_EVENT,
  ERROR_EVENT,
  ERROR_EVENT_BODY,
  finishEvent,
  MALFORMED_EVENT,
  type ReplyPlan,
} from "./completion-bodies.js";
import type { ResponsePacer } from "./response-pacer.js";
import { sendError, sendJson } from "./send-json.js";
import type { MockBehavior } from "./types.js";

type ChunkFaultKind = "stall" | "destroy" | "malformed" | "errorEvent";

interface ChunkFault {
  kind: ChunkFaultKind;
  afterChunks: number;
}

export async function respondToChat(pacer: ResponsePacer, request: ChatRequest, plan: ReplyPlan, behavior: MockBehavior): Promise<void> {
  await pacer.delay(behavior.firstByteDelayMs ?? 0);
  const headers = { "x-mock-request-id": plan.id };
  if (behavior.status !== undefined) {
    pacer.outcome = "error_status";
    const errorHeaders: Record<string, string> = { ...headers };
    if (behavior.retryAfterS !== undefined) errorHeaders["retry-after"] = String(behavior.retryAfterS);
    sendError(pacer.res, behavior.status, { headers: errorHeaders });
    return;
  }
  if (request.stream) await streamReply(pacer, request, plan, behavior, headers);
  else await jsonReply(pacer, plan, behavior, headers);
}

async function streamReply(pacer: ResponsePacer, request: ChatRequest, plan: ReplyPlan, behavior: MockBehavior, headers: Record<string, string>): Promise<void> {
  const { res } = pacer;
  res.writeHead(200, { ...headers, "content-type": "text/event-stream", "cache-control": "no-cache" });
  if (behavior.stallAfterHeaders) {
    res.flushHeaders();
    await pacer.untilClosed();
  }
  if (behavior.emptyChoices) {
    res.end(chunkEvent(plan, []) + DONE_EVENT);
    return;
  }
  const fault = chunkFaultOf(behavior);
  const sent = Math.min(fault?.afterChunks ?? Number.POSITIVE_INFINITY, plan.chunks.length);
  const delayMs = behavior.chunkDelayMs ?? 0;
  for (let i = 0; i < sent; i++) {
    if (i > 0) await pacer.delay(delayMs);
    await pacer.write(deltaEvent(plan, i));
  }
  if (!fault) {
    res.end(finishEvent(plan) + (request.includeUsage ? chunkEvent(plan, [], plan.usage) : "") + DONE_EVENT);
    return;
  }
  if (sent > 0) await pacer.delay(delayMs);
  await endWithFault(pacer, fault, MALFORMED_EVENT, ERROR_EVENT);
}

async function jsonReply(pacer: ResponsePacer, plan: ReplyPlan, behavior: MockBehavior, headers: Record<string, string>): Promise<void> {
  const { res } = pacer;
  if (behavior.stallAfterHeaders) {
    res.writeHead(200, { ...headers, "content-type": "application/json" });
    res.flushHeaders();
    await pacer.untilClosed();
  }
  await pacer.delay((behavior.chunkDelayMs ?? 0) * Math.max(0, plan.chunks.length - 1));
  const fault = behavior.emptyChoices ? undefined : chunkFaultOf(behavior);
  if (!fault) {
    sendJson(res, 200, completionBody(plan, behavior.emptyChoices === true), headers);
    return;
  }
  // No content-length: the body is sent chunked, so a cut-short one is visibly incomplete.
  res.writeHead(200, { ...headers, "content-type": "application/json" });
  const text = JSON.stringify(completionBody(plan, false));
  if ((fault.kind === "stall" || fault.kind === "destroy") && fault.afterChunks > 0) await pacer.write(text.slice(0, Math.floor(text.length / 2)));
  await endWithFault(pacer, fault, "{not json", JSON.stringify(ERROR_EVENT_BODY));
}

async function endWithFault(pacer: ResponsePacer, fault: ChunkFault, malformed: string, errorBody: string): Promise<void> {
  const { res } = pacer;
  switch (fault.kind) {
    case "stall":
      res.flushHeaders();
      await pacer.untilClosed();
      return;
    case "destroy":
      res.flushHeaders();
      await pacer.flushed();
      pacer.outcome = "destroyed";
      // Abrupt on purpose: no terminating chunk, so the client sees the stream cut, not ended.
      res.socket?.destroy();
      return;
    case "malformed":
      res.end(malformed);
      return;
    case "errorEvent":
      res.end(errorBody);
      return;
  }
}

function chunkFaultOf(behavior: MockBehavior): ChunkFault | undefined {
  const faults: Array<[ChunkFaultKind, number | undefined]> = [
    ["stall", behavior.stallAfterChunks],
    ["destroy", behavior.destroyAfterChunks],
    ["malformed", behavior.malformedAfterChunks],
    ["errorEvent", behavior.errorEventAfterChunks],
  ];
  let chosen: ChunkFault | undefined;
  for (const [kind, afterChunks] of faults) {
    if (afterChunks !== undefined && (chosen === undefined || afterChunks < chosen.afterChunks)) chosen = { kind, afterChunks };
  }
  return chosen;
}

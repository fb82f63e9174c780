/**
 * A real client for the mock: undici over loopback, plus the few helpers every mock test needs to
 * read an SSE body back into events and text.
 */
import { Readable } from "node:stream";
import { request, type Dispatcher } from "undici";
import type { MockLlmServer } from "../../../src/mock-llm/index.js";

export interface ChatCallOptions {
  headers?: Record<string, string>;
  dispatcher?: Dispatcher;
  signal?: AbortSignal;
}

export function chatBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: "mock-model", messages: [{ role: "system", content: "be brief" }, { role: "user", content: "hello" }], ...overrides };
}

/** `body`: an object (sent as JSON), raw text, or an async iterable of text (a body still uploading). */
export function postChat(server: MockLlmServer, body: unknown, options: ChatCallOptions = {}): Promise<Dispatcher.ResponseData> {
  return request(`${server.url}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...options.headers },
    body: typeof body === "string" ? body : isAsyncIterable(body) ? Readable.from(body) : JSON.stringify(body),
    dispatcher: options.dispatcher,
    signal: options.signal,
  });
}

function isAsyncIterable(value: unknown): value is AsyncIterable<string> {
  return typeof value === "object" && value !== null && Symbol.asyncIterator in value;
}

/** The payload of each `data: ...` event, in order. Throws on anything that is not such an event. */
export function sseData(text: string): string[] {
  return text
    .split("\n\n")
    .filter((block) => block !== "")
    .map((block) => {
      if (!block.startsWith("data: ")) throw new Error(`not an SSE data event: ${JSON.stringify(block)}`);
      return block.slice("data: ".length);
    });
}

interface Chunk {
  choices: Array<{ delta: { content?: string; reasoning_content?: string }; finish_reason: string | null }>;
  usage?: unknown;
}

/** Parsed chunks (without the final `[DONE]`). */
export function chunksOf(text: string): Chunk[] {
  return sseData(text)
    .filter((data) => data !== "[DONE]")
    .map((data) => JSON.parse(data) as Chunk);
}

export function contentOf(chunks: Chunk[], field: "content" | "reasoning_content" = "content"): string {
  return chunks.map((chunk) => chunk.choices[0]?.delta[field] ?? "").join("");
}

/** Reads a streamed body until it ends or fails, keeping what arrived before a failure. */
export async function readUntilEnd(body: AsyncIterable<Buffer | string>): Promise<{ text: string; error: unknown }> {
  let text = "";
  try {
    for await (const chunk of body) text += chunk.toString();
    return { text, error: undefined };
  } catch (error) {
    return { text, error };
  }
}

export async function waitFor(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** What the mock needs from a Chat Completions request body, read once and checked. */

export interface ChatRequest {
  model: string;
  stream: boolean;
  /** `stream_options.include_usage`: end the stream with a usage chunk. */
  includeUsage: boolean;
  /** Text of the last `role: "user"` message ("" when there is none). */
  lastUserMessage: string;
  /** Characters of every message's text, for the default usage estimate. */
  promptChars: number;
}

/** The request, or the reason it is not a valid one (answered with 400). */
export function readChatRequest(body: unknown): ChatRequest | { invalid: string } {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return { invalid: "the request body must be a JSON object" };
  const { model, messages, stream, stream_options: streamOptions } = body as Record<string, unknown>;
  if (typeof model !== "string" || model === "") return { invalid: "you must provide a model parameter" };
  if (!Array.isArray(messages)) return { invalid: "'messages' must be an array" };
  let lastUserMessage = "";
  let promptChars = 0;
  for (const message of messages) {
    if (typeof message !== "object" || message === null) return { invalid: "each message must be an object" };
    const text = messageText((message as Record<string, unknown>).content);
    promptChars += text.length;
    if ((message as Record<string, unknown>).role === "user") lastUserMessage = text;
  }
  const includeUsage = typeof streamOptions === "object" && streamOptions !== null && (streamOptions as Record<string, unknown>).include_usage === true;
  return { model, stream: stream === true, includeUsage, lastUserMessage, promptChars };
}

/** `content` is a string or an array of parts; only the text parts count. */
function messageText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((part) => (typeof part === "object" && part !== null && typeof (part as { text?: unknown }).text === "string" ? (part as { text: string }).text : ""))
    .join("");
}

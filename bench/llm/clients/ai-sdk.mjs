/**
 * `ai@6` `streamText` with `@ai-sdk/openai@3`'s Chat Completions model (`.chat(model)`),
 * `textStream` consumed to its end. Like the openai SDK it uses Node's global `fetch`; each case
 * wraps it to pass a fresh default undici Agent, so connection counts start from zero. Retries off.
 */
import { createOpenAI } from "@ai-sdk/openai";
import { streamText } from "ai";
import { Agent } from "undici";
import { API_KEY, MODEL, TEMPERATURE } from "./chat-body.mjs";

export const aiSdk = {
  key: "ai",
  label: "`ai@6` `streamText`",
  async open(baseUrl) {
    const dispatcher = new Agent();
    const provider = createOpenAI({ baseURL: baseUrl, apiKey: API_KEY, fetch: (input, init) => fetch(input, { ...init, dispatcher }) });
    return {
      async call(prompt, { signal, onToken, model = MODEL } = {}) {
        const result = streamText({ model: provider.chat(model), prompt, temperature: TEMPERATURE, maxRetries: 0, abortSignal: signal });
        let text = "";
        for await (const content of result.textStream) {
          text += content;
          onToken?.(content);
        }
        return text;
      },
      close: () => dispatcher.close(),
    };
  },
};

/**
 * `openai@6`: `client.chat.completions.create({ stream: true })`, the stream iterated to its end.
 * The SDK calls Node's global `fetch`; each case hands it a fresh undici Agent with default options
 * (no connection limit per origin, like the global dispatcher) through `fetchOptions.dispatcher`,
 * so connection counts start from zero. Retries off, as for every client here.
 */
import OpenAI from "openai";
import { Agent } from "undici";
import { API_KEY, chatBody } from "./chat-body.mjs";

export const openaiSdk = {
  key: "openai",
  label: "`openai@6` streaming",
  async open(baseUrl) {
    const dispatcher = new Agent();
    const client = new OpenAI({ baseURL: baseUrl, apiKey: API_KEY, maxRetries: 0, fetchOptions: { dispatcher } });
    return {
      async call(prompt, { signal, onToken, model } = {}) {
        const stream = await client.chat.completions.create(chatBody(prompt, model), { signal });
        let text = "";
        for await (const chunk of stream) {
          const content = chunk.choices[0]?.delta?.content;
          if (content) {
            text += content;
            onToken?.(content);
          }
        }
        return text;
      },
      close: () => dispatcher.close(),
    };
  },
};

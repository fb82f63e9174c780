/**
 * The floor: `undici.request` on an Agent with 64 connections, the SSE body read to its end and
 * parsed as little as a real client can (split into events, `JSON.parse` each `data:` line, keep the
 * content). No deadlines, no retries, no events: what any client on undici pays at least.
 */
import { Agent, request } from "undici";
import { API_KEY, chatBody } from "./chat-body.mjs";

export const rawUndici = {
  key: "undici",
  label: "raw `undici.request` (floor)",
  async open(baseUrl, { maxConnections }) {
    const dispatcher = new Agent({ connections: maxConnections });
    const url = `${baseUrl}/chat/completions`;
    const headers = { "content-type": "application/json", accept: "text/event-stream", authorization: `Bearer ${API_KEY}` };
    return {
      async call(prompt, { signal, onToken, model } = {}) {
        const response = await request(url, { method: "POST", headers, body: JSON.stringify(chatBody(prompt, model)), dispatcher, signal });
        if (response.statusCode !== 200) {
          await response.body.dump();
          throw new Error(`HTTP ${response.statusCode}`);
        }
        let text = "";
        let buffered = "";
        response.body.setEncoding("utf8");
        for await (const piece of response.body) {
          buffered += piece;
          let end;
          while ((end = buffered.indexOf("\n\n")) >= 0) {
            const event = buffered.slice(0, end);
            buffered = buffered.slice(end + 2);
            if (!event.startsWith("data: ") || event === "data: [DONE]") continue;
            const content = JSON.parse(event.slice(6)).choices?.[0]?.delta?.content;
            if (content) {
              text += content;
              onToken?.(content);
            }
          }
        }
        return text;
      },
      close: () => dispatcher.close(),
    };
  },
};

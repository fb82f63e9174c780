/**
 * The one Chat Completions request every client sends (the SDKs build theirs from the same fields):
 * the model, one user message, streaming with usage, as flockflow's openai-compatible provider does.
 */
export const MODEL = "mock-model";
export const API_KEY = "bench-key";
export const TEMPERATURE = 0.2;

export function chatBody(prompt, model = MODEL) {
  return { model, messages: [{ role: "user", content: prompt }], temperature: TEMPERATURE, stream: true, stream_options: { include_usage: true } };
}

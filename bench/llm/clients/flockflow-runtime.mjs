/**
 * flockflow's LLM runtime called directly: one `LlmRuntime` per case (so its connection pool starts
 * empty), provider `max_connections` = the pool limit, built-in settings (deadlines armed: total,
 * TTFT, idle), no event listener unless the case watches tokens. A cancel aborts with
 * RunCancelledError, the reason the engine uses.
 */
import { LlmRuntime } from "../../../dist/llm/llm-runtime.js";
import { API_KEY, MODEL } from "./chat-body.mjs";

export function llmConfig(baseUrl, maxConnections) {
  return {
    provider: { mock: { type: "openai-compatible", options: { baseURL: baseUrl, apiKey: API_KEY, max_connections: maxConnections, stream: true } } },
    default_models: { llm: { provider_id: "mock", model_id: MODEL } },
  };
}

export const flockflowRuntime = {
  key: "runtime",
  label: "flockflow `LlmRuntime.ask`",
  async open(baseUrl, { maxConnections }) {
    const runtime = new LlmRuntime({ config: llmConfig(baseUrl, maxConnections), env: {} });
    const baseSettings = runtime.baseSettings;
    // A call must come with a signal; one that is never aborted stands for a run's, as the engine
    // passes one signal to all of a node's calls (a fresh controller per call would bill the bench).
    const neverAborted = new AbortController().signal;
    return {
      call(prompt, { signal = neverAborted, onToken, model } = {}) {
        const onEvent = onToken ? (event) => event.type === "llm.token" && onToken(event.text) : undefined;
        return runtime.ask({ prompt, model, baseSettings, overrideSettings: {} }, { signal, onEvent });
      },
      close: () => runtime.close(),
    };
  },
};

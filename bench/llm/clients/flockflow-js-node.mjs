/**
 * The same calls made from a `javascript` node through the bridge: `createRuntime` with the mock as
 * its provider, and workflows of one JavaScript node that calls `await llm.askAsync(...)`.
 *
 * Throughput: one run makes all the calls. Its node keeps `k` calls in flight, each lane asking
 * again as soon as its answer is back, until `n` calls were made: the closed loop the other
 * clients are driven with, and not `n / k` runs of `Promise.all` over `k` calls, whose barrier would
 * charge every batch its slowest call. `metadata.llm.concurrency` is raised to `k` (the per-run
 * budget defaults to 8). The node's realm has no `performance`, so each call's latency is taken
 * with `Date.now()` inside the node (1 ms resolution); the throughput uses the host's clock around
 * `runtime.run`.
 *
 * Cancel: a run whose node makes one call; on its second `llm.token` run event the run's own
 * controller (the `signal` given to `runtime.run`) is aborted.
 */
import { createRuntime, validateWorkflow } from "../../../dist/index.js";
import { llmConfig } from "./flockflow-runtime.mjs";

const LANES_CODE = `
const n = inputs.n;
const latenciesMs = new Array(n);
let next = 0;
async function lane() {
  for (let i = next++; i < n; i = next++) {
    const startedAt = Date.now();
    const prompt = inputs.prompt + " " + i;
    const text = await llm.askAsync(prompt);
    latenciesMs[i] = Date.now() - startedAt;
    if (text !== "mock reply from mock-model: " + prompt) throw new Error("wrong answer for " + prompt + ": " + text);
  }
}
await Promise.all(Array.from({ length: inputs.k }, lane));
outputs.latenciesMs = latenciesMs;
`;

const ONE_CALL_CODE = `outputs.text = await llm.askAsync(inputs.prompt, { model: inputs.model });`;

const oneNode = (code, metadata) => validateWorkflow({ start: "ask", nodes: [{ id: "ask", type: "javascript", code }], edges: [], metadata });

export const flockflowJsNode = {
  key: "jsnode",
  label: "flockflow, `llm.askAsync` in a `javascript` node",
  async open(baseUrl, { maxConnections }) {
    const runtime = createRuntime({ config: llmConfig(baseUrl, maxConnections), env: {}, dataDir: "/tmp/flockflow-bench-llm" });
    const lanes = new Map();
    const lanesWorkflow = (k) => {
      if (!lanes.has(k)) lanes.set(k, oneNode(LANES_CODE, { llm: { concurrency: k } }));
      return lanes.get(k);
    };
    const oneCall = oneNode(ONE_CALL_CODE, {});
    return {
      /** `n` calls, `k` at a time, in one run; resolves with each call's latency (ms, integers). */
      async calls(n, k, { prompt = "q", signal } = {}) {
        const result = await runtime.run(lanesWorkflow(k), { inputs: { n, k, prompt }, signal });
        if (result.status !== "succeeded") throw new Error(`JavaScript-node run ${result.status}: ${result.error}`);
        return result.outputs.latenciesMs;
      },
      /** One call in its own run; `onToken` sees each `llm.token` event. Resolves with the RunResult. */
      callInRun(prompt, { signal, onToken, model }) {
        const onEvent = onToken ? (event) => event.type === "llm.token" && onToken(event.text) : undefined;
        return runtime.run(oneCall, { inputs: { prompt, model }, signal, onEvent });
      },
      close: () => runtime.close(),
    };
  },
};

/**
 * The one-node workflows the latency cases run, in Python and in JavaScript with the same work, built
 * in memory and validated once so every timed run starts from the same normalised object. No node
 * sets `timeout_s`, so the default 300 s node deadline is armed around each one.
 *
 * Both languages use the synchronous `llm.ask` (JavaScript nodes also have `llm.askAsync`; the
 * Python contract is synchronous, so the like-for-like call is the blocking one).
 */
import { validateWorkflow } from "../../dist/index.js";

/** The prompt the `ask` nodes send; the mock answers `mock reply from mock-model: <prompt>`. */
export const ASK_PROMPT = "bench";
export const expectedReply = (prompt) => `mock reply from mock-model: ${prompt}`;

const CODE = {
  python: {
    empty: "outputs['x'] = 1",
    ask: "outputs['text'] = llm.ask(inputs['prompt'])",
    askLoop: [
      "for i in range(inputs['calls']):",
      "    prompt = inputs['prompt'] + ' ' + str(i)",
      "    text = llm.ask(prompt)",
      "    if text != 'mock reply from mock-model: ' + prompt:",
      "        raise ValueError('wrong answer for %r: %r' % (prompt, text))",
      "outputs['calls'] = inputs['calls']",
    ].join("\n"),
  },
  javascript: {
    empty: "outputs.x = 1",
    ask: "outputs.text = llm.ask(inputs.prompt)",
    askLoop: [
      "for (let i = 0; i < inputs.calls; i++) {",
      "  const prompt = inputs.prompt + ' ' + i;",
      "  const text = llm.ask(prompt);",
      "  if (text !== 'mock reply from mock-model: ' + prompt) throw new Error('wrong answer for ' + prompt + ': ' + text);",
      "}",
      "outputs.calls = inputs.calls;",
    ].join("\n"),
  },
};

const oneNode = (node) => validateWorkflow({ start: node.id, nodes: [node], edges: [], metadata: {} });

/** `kind`: "empty" | "ask" | "askLoop"; `language`: "python" | "javascript". */
export const codeNode = (language, kind) => oneNode({ id: "n", type: language, code: CODE[language][kind] });

/** The engine's floor for a one-node run: a `branch` node runs no code. */
export const branchNode = () => oneNode({ id: "n", type: "branch" });

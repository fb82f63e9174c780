/**
 * `llm` nodes: the prompt is rendered with the node's inputs (undefined variables render as ""),
 * sent through the run's LLM session under the node's signal, and the answer stored under
 * `output_key` (default `result`).
 */
import { TemplateError } from "../errors.js";
import { renderTemplate } from "../templates/render-template.js";
import type { NodeExecutor } from "./types.js";

export const executeLlm: NodeExecutor = async (ctx) => {
  const { node } = ctx;
  let prompt: string;
  try {
    prompt = renderTemplate(node.prompt!, ctx.inputs);
  } catch (error) {
    const reason = error instanceof TemplateError && error.cause instanceof Error ? error.cause.message : (error as Error).message;
    throw new TemplateError(`Prompt template render failed: ${reason}`, error);
  }
  const text = await ctx.llm(prompt, node.model ? { model: node.model } : {});
  return { outputs: { [node.outputKey ?? "result"]: text } };
};

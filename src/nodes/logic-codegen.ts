/**
 * Writing a logic node's code with the LLM (reference §3 `logic`, LLMCodeGen): one prompt, the
 * reply normalised to its code, a syntax check, and up to REPAIR_ROUNDS repair prompts that send the
 * code and its error back. Every question goes through `ctx.llm`, under the node's signal, deadline
 * and the run's LLM budget.
 *
 * Failures become one CodeGenerationError naming the node (Flocks: "Code generation failed: …");
 * cancellation and the node's own deadline pass through untouched (SPEC §1.4).
 */
import { CodeGenerationError, describeError, isCancellation } from "../errors.js";
import type { CodeLanguage } from "../model/types.js";
import { buildCodegenPrompt, buildRepairPrompt } from "./logic-codegen-prompt.js";
import { codeFromReply } from "./logic-fenced-code.js";
import { checkSyntax } from "./logic-syntax-check.js";
import type { NodeContext } from "./types.js";

export const REPAIR_ROUNDS = 2;

export async function generateLogicCode(ctx: NodeContext, language: CodeLanguage): Promise<string> {
  const { node, signal } = ctx;
  const options = node.model ? { model: node.model } : {};
  try {
    const prompt = await buildCodegenPrompt(ctx, language);
    signal.throwIfAborted();
    let request = prompt;
    let syntaxError = "";
    for (let round = 0; round <= REPAIR_ROUNDS; round++) {
      const code = codeFromReply(await ctx.llm(request, options), language);
      const problem = code.trim() === "" ? "the reply contained no code" : await checkSyntax(language, code, signal);
      if (problem === undefined) return code;
      syntaxError = problem;
      request = buildRepairPrompt(prompt, language, code, problem);
    }
    throw new CodeGenerationError(
      `node '${node.id}': code generation failed: the generated ${language} code still has a syntax error after ${REPAIR_ROUNDS} repair rounds: ${syntaxError}`,
    );
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    if (isCancellation(error) || error instanceof CodeGenerationError) throw error;
    throw new CodeGenerationError(`node '${node.id}': code generation failed: ${describeError(error)}`, error);
  }
}

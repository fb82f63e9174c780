/**
 * `logic` nodes (SPEC §2 `language`, §3; reference §3 `logic`): code nodes whose code may be written
 * by the LLM from the node's description, and whose outgoing edges are chosen by label (the engine
 * routes them like branch nodes).
 *
 * Where the code comes from, first match wins:
 * 1. the node's own non-blank `code`;
 * 2. a fenced block in the description in the node's language (or untagged): no LLM call, as both
 *    of Flocks' code generators prefer it;
 * 3. the LLM (logic-codegen.ts), through the logic-code cache, so a loop asks once, not every turn.
 *
 * The language is `language` (default `python`).
 */
import type { CodeLanguage } from "../model/types.js";
import { LogicCodeCache } from "./logic-code-cache.js";
import { generateLogicCode } from "./logic-codegen.js";
import { embeddedCode } from "./logic-fenced-code.js";
import { runPythonCode } from "./python.js";
import type { NodeContext, NodeExecutor, NodeResult } from "./types.js";

type CodeRunner = (ctx: NodeContext, code: string) => Promise<NodeResult>;

/** How each language's code runs. */
const CODE_RUNNERS: Record<CodeLanguage, CodeRunner> = {
  // Exactly like a `javascript` node: the pool copies the inputs and stops the worker on abort.
  javascript: (ctx, code) =>
    ctx.services.jsPool.run({ nodeId: ctx.node.id, code, inputs: ctx.inputs, signal: ctx.signal, hostCalls: ctx.hostCalls }),
  python: runPythonCode,
};

export const executeLogic: NodeExecutor = async (ctx) => {
  const language = ctx.node.language ?? "python";
  const runCode = CODE_RUNNERS[language];
  const code = await logicCode(ctx, language);
  return runCode(ctx, code);
};

async function logicCode(ctx: NodeContext, language: CodeLanguage): Promise<string> {
  const { node } = ctx;
  if (node.code !== undefined && node.code.trim() !== "") return node.code;
  const description = node.description ?? "";
  const embedded = embeddedCode(description, language);
  if (embedded !== undefined) return embedded;
  const key = { description, language, model: node.model };
  return LogicCodeCache.of(ctx.services).getOrGenerate(key, ctx.signal, () => generateLogicCode(ctx, language));
}

/**
 * The prompts that ask the LLM to write a logic node's code (reference §3 `logic`, LLMCodeGen): the
 * execution contract of the node's language, the routing note, a catalogue of the tools the code
 * may call, and the sibling `workflow.md` of the workflow file when there is one. Flocks writes
 * these prompts in Chinese; ours are English and state the flockflow contract (SPEC §4).
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { CodeLanguage, WorkflowNode } from "../model/types.js";
import type { ToolRegistry } from "../tools/tool-registry.js";
import type { NodeContext } from "./types.js";

const CONTRACT: Record<CodeLanguage, string> = {
  javascript: [
    "Execution contract (JavaScript):",
    "- The code is the body of an async function in strict mode: write statements, not a module. Top-level `await` is allowed.",
    "- Read the node's input from `inputs`, a plain object (the upstream payload).",
    "- Write the results to `outputs`, a plain object: set keys on it, or assign a new object to `outputs`. Values must be JSON-serialisable.",
    "- `tool.run(name, args)` calls a tool with an arguments object and returns its result; it throws when the tool fails. `tool.run_safe(name, args)` returns `{success, text, obj, error}` and does not throw for a tool failure. Both are synchronous; `await tool.runAsync(name, args)` runs tools concurrently.",
    "- `llm.ask(prompt)` asks the LLM and returns the answer text (synchronous); `await llm.askAsync(prompt)` runs several questions concurrently.",
    "- `get_path(path, data)` reads a dotted path such as `a.b.0` from `data` (default: `inputs`) and returns null when it is missing.",
    "- `console.log(...)` and `print(...)` output is captured.",
    "- There is no `require`, no `import`, no `process` and no Node.js built-in module: use the tools for files, network and other I/O.",
  ].join("\n"),
  python: [
    "Execution contract (Python):",
    "- The code runs as top-level Python 3 code: not inside a function, no `async` and no `await`.",
    "- Read the node's input from `inputs`, a dict (the upstream payload).",
    "- Write the results to `outputs`, a dict: set keys on it, or assign a new dict to `outputs`. Values must be JSON-serialisable.",
    '- `tool.run(name, **kwargs)` calls a tool and returns its result; it raises when the tool fails. `tool.run_safe(name, **kwargs)` returns a dict with keys "success", "text", "obj" and "error" and does not raise for a tool failure.',
    "- `llm.ask(prompt)` asks the LLM and returns the answer text.",
    "- `get_path(path, data=None)` reads a dotted path such as `a.b.0` from `data` (default: `inputs`) and returns None when it is missing.",
    "- `print(...)` output is captured. Modules of the standard library may be imported.",
  ].join("\n"),
};

const FENCE_TAG: Record<CodeLanguage, string> = { javascript: "javascript", python: "python" };

/** Tool names a description asks for: `Tool: x`, `Tools: a, b` (also `工具：`, as Flocks reads). */
export function toolNamesIn(description: string): string[] {
  const names: string[] = [];
  for (const match of description.matchAll(/(?:\btools?|工具)[ \t]*[:：][ \t]*([^\n]+)/gi)) {
    for (const raw of match[1]!.split(/[,，;；]|\s+and\s+/)) {
      const name = raw.trim().replace(/^[`'"]+|[`'".]+$/g, "").trim();
      if (/^[\w.:-]+$/.test(name) && !names.includes(name)) names.push(name);
    }
  }
  return names;
}

/**
 * The tools the code may call, with description and JSON-schema parameters: those the
 * description names that are registered, else every registered tool.
 */
export function toolCatalogue(tools: ToolRegistry, description: string): string {
  const named = toolNamesIn(description).filter((name) => tools.has(name));
  const names = named.length > 0 ? named : tools.names();
  if (names.length === 0) return "Available tools: none.";
  const entries = names.map((name) => {
    const tool = tools.get(name)!;
    const lines = [`- ${name}: ${tool.description?.trim() || "(no description)"}`];
    lines.push(`  parameters (JSON Schema): ${tool.parameters ? JSON.stringify(tool.parameters) : "{}"}`);
    return lines.join("\n");
  });
  return `Available tools:\n${entries.join("\n")}`;
}

/** The routing note: which value picks the next node, and the labels the edges carry. */
function routingNote(node: WorkflowNode, labels: string[]): string | undefined {
  if (labels.length === 0) return undefined;
  const key = node.selectKey ?? "result";
  const target = /^[A-Za-z_$][\w$]*$/.test(key) ? `outputs["${key}"]` : `the value at path \`${key}\` of outputs`;
  return [
    `Routing: the workflow chooses this node's next step by label. Set ${target} to the label of the path to take,`,
    `one of: ${labels.map((l) => JSON.stringify(l)).join(", ")} (a boolean routes as "true"/"false").`,
  ].join(" ");
}

async function workflowNotes(sourcePath: string | undefined): Promise<string | undefined> {
  if (sourcePath === undefined) return undefined;
  try {
    const text = await readFile(path.join(path.dirname(sourcePath), "workflow.md"), "utf8");
    return text.trim() === "" ? undefined : text.trim();
  } catch {
    // No workflow.md (or unreadable): the prompt simply goes without it.
    return undefined;
  }
}

/** The first codegen prompt for a logic node. */
export async function buildCodegenPrompt(ctx: NodeContext, language: CodeLanguage): Promise<string> {
  const { node, workflow } = ctx;
  const labels = [...new Set(workflow.edges.filter((e) => e.from === node.id && e.label !== null).map((e) => e.label!))];
  const notes = await workflowNotes(workflow.sourcePath);
  const sections = [
    `Write the ${language === "javascript" ? "JavaScript" : "Python"} code of the logic node "${node.id}" in a flockflow workflow${workflow.name ? ` named "${workflow.name}"` : ""}.`,
    `Task (the node's description):\n${node.description ?? ""}`,
    CONTRACT[language],
  ];
  if (node.inputSchema) sections.push(`Input schema: ${JSON.stringify(node.inputSchema)}`);
  if (node.outputSchema) sections.push(`Output schema: ${JSON.stringify(node.outputSchema)}`);
  const routing = routingNote(node, labels);
  if (routing) sections.push(routing);
  sections.push(toolCatalogue(ctx.services.tools, node.description ?? ""));
  if (notes) sections.push(`Notes about the whole workflow (workflow.md):\n${notes}`);
  sections.push(replyFormat(language));
  return sections.join("\n\n");
}

/** A repair round: the first prompt again, the rejected code and the syntax error. */
export function buildRepairPrompt(basePrompt: string, language: CodeLanguage, code: string, syntaxError: string): string {
  return [
    basePrompt,
    `Your previous answer failed the syntax check with: ${syntaxError}`,
    `The previous code:\n\`\`\`${FENCE_TAG[language]}\n${code}\n\`\`\``,
    `Correct it. ${replyFormat(language)}`,
  ].join("\n\n");
}

function replyFormat(language: CodeLanguage): string {
  return `Reply with ONE fenced \`\`\`${FENCE_TAG[language]} code block containing the complete code, and nothing else.`;
}

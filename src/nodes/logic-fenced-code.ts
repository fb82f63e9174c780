/**
 * Fenced code blocks in a logic node's description and in the LLM's codegen replies (reference §3
 * `logic`: both of Flocks' code generators prefer a block embedded in the description, and a reply
 * is normalised by taking its fenced block or stripping stray fences).
 *
 * Parsing is line-based (CommonMark-style): a fence opens with a line of three or more backticks
 * and an optional info string, and closes with a line of at least as many backticks. A fence left
 * open (a truncated reply) runs to the end of the text.
 */
import type { CodeLanguage } from "../model/types.js";

export interface FencedBlock {
  /** The info string's first word, lower-cased; "" for an untagged fence. */
  tag: string;
  code: string;
}

const LANGUAGE_TAGS: Record<CodeLanguage, readonly string[]> = {
  javascript: ["javascript", "js"],
  python: ["python", "py"],
};

const OPENING_FENCE = /^ {0,3}(`{3,})[ \t]*([^`\s]*)[^`]*$/;
const CLOSING_FENCE = /^ {0,3}(`{3,})[ \t]*$/;

export function fencedBlocks(text: string): FencedBlock[] {
  const lines = text.split(/\r?\n/);
  const blocks: FencedBlock[] = [];
  let i = 0;
  while (i < lines.length) {
    const open = OPENING_FENCE.exec(lines[i]!);
    i += 1;
    if (!open) continue;
    const fenceLength = open[1]!.length;
    const body: string[] = [];
    while (i < lines.length) {
      const close = CLOSING_FENCE.exec(lines[i]!);
      if (close && close[1]!.length >= fenceLength) break;
      body.push(lines[i]!);
      i += 1;
    }
    i += 1;
    blocks.push({ tag: open[2]!.toLowerCase(), code: body.join("\n") });
  }
  return blocks;
}

/**
 * The code block a description carries for `language`: the first block tagged with that language,
 * or untagged (an untagged fence is taken in the node's language). Blank blocks do not count.
 */
export function embeddedCode(description: string, language: CodeLanguage): string | undefined {
  const tags = LANGUAGE_TAGS[language];
  const block = fencedBlocks(description).find((b) => (b.tag === "" || tags.includes(b.tag)) && b.code.trim() !== "");
  return block?.code;
}

/**
 * The code in an LLM reply: its block in `language` (else its untagged block, else its first
 * block), or, with no complete fence, the reply with stray fence lines removed. Python code that
 * uses `json.` without importing it gets `import json` prepended, as Flocks' normaliser does.
 */
export function codeFromReply(reply: string, language: CodeLanguage): string {
  const tags = LANGUAGE_TAGS[language];
  const blocks = fencedBlocks(reply).filter((b) => b.code.trim() !== "");
  const block = blocks.find((b) => tags.includes(b.tag)) ?? blocks.find((b) => b.tag === "") ?? blocks[0];
  let code = block ? block.code : reply.split(/\r?\n/).filter((line) => !/^\s*`{3,}/.test(line)).join("\n");
  code = trimBlankLines(code);
  if (language === "python" && /\bjson\.\w/.test(code) && !/^\s*(import\s+json\b|from\s+json\s+import\b)/m.test(code)) {
    code = `import json\n${code}`;
  }
  return code;
}

/** Leading and trailing blank lines go; indentation of the first code line stays (Python cares). */
function trimBlankLines(code: string): string {
  return code.replace(/^(?:[ \t]*\r?\n)+/, "").trimEnd();
}

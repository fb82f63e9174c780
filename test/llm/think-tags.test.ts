/**
 * `<think>` blocks inlined in content (Flocks' ThinkTagExtractor): reasoning is split out of the
 * answer however the stream happens to cut the text, including in the middle of a tag. Every case is
 * fed whole, one character at a time, at every single cut and at every pair of cuts.
 */
import { describe, expect, it } from "vitest";
import { ThinkTagFilter, splitThinkTags } from "../../src/llm/providers/think-tags.js";

interface Case {
  name: string;
  input: string;
  visible: string;
  reasoning: string;
}

const CASES: Case[] = [
  { name: "no tags", input: "plain answer, nothing hidden", visible: "plain answer, nothing hidden", reasoning: "" },
  { name: "one leading block", input: "<think>plan the reply</think>The answer.", visible: "The answer.", reasoning: "plan the reply" },
  {
    name: "text around and between two blocks",
    input: "Before <think>r1</think> middle <think>r2</think> after",
    visible: "Before  middle  after",
    reasoning: "r1r2",
  },
  { name: "an empty block", input: "<think></think>x", visible: "x", reasoning: "" },
  { name: "an unclosed block at the end of the stream", input: "Hi <think>still thinking", visible: "Hi ", reasoning: "still thinking" },
  { name: "an unclosed block ending in half a closing tag", input: "<think>abc</thi", visible: "", reasoning: "abc</thi" },
  {
    name: "tag-like text inside a block stays reasoning",
    input: "<think>a < b, <th and </thin are not tags</think>ok",
    visible: "ok",
    reasoning: "a < b, <th and </thin are not tags",
  },
  { name: "tag-like text outside a block stays visible", input: "a < b, <thinking> is not <think", visible: "a < b, <thinking> is not <think", reasoning: "" },
  { name: "a visible '<' right before the opening tag", input: "x<<think>y</think>z", visible: "x<z", reasoning: "y" },
  { name: "non-ASCII text", input: "<think>思考一下</think>答案是 42", visible: "答案是 42", reasoning: "思考一下" },
];

function feed(pieces: string[]): { visible: string; reasoning: string; emitted: string[] } {
  const filter = new ThinkTagFilter();
  const emitted: string[] = [];
  for (const piece of pieces) emitted.push(filter.push(piece));
  emitted.push(filter.flush());
  return { visible: emitted.join(""), reasoning: filter.reasoning, emitted };
}

describe("ThinkTagFilter", () => {
  for (const c of CASES) {
    describe(c.name, () => {
      it("whole", () => {
        expect(feed([c.input])).toMatchObject({ visible: c.visible, reasoning: c.reasoning });
      });

      it("one character at a time", () => {
        const result = feed(Array.from(c.input));
        expect(result).toMatchObject({ visible: c.visible, reasoning: c.reasoning });
        // Nothing hidden ever leaks: every emitted piece is part of the answer, in order.
        let answer = "";
        for (const piece of result.emitted) {
          answer += piece;
          expect(c.visible.startsWith(answer)).toBe(true);
        }
      });

      it("cut at every position", () => {
        for (let i = 0; i <= c.input.length; i++) {
          const result = feed([c.input.slice(0, i), c.input.slice(i)]);
          expect({ at: i, visible: result.visible, reasoning: result.reasoning }).toEqual({ at: i, visible: c.visible, reasoning: c.reasoning });
        }
      });

      it("cut at every pair of positions", () => {
        for (let i = 0; i <= c.input.length; i++) {
          for (let j = i; j <= c.input.length; j++) {
            const result = feed([c.input.slice(0, i), c.input.slice(i, j), c.input.slice(j)]);
            expect({ at: [i, j], visible: result.visible, reasoning: result.reasoning }).toEqual({ at: [i, j], visible: c.visible, reasoning: c.reasoning });
          }
        }
      });
    });
  }

  it("holds back a possible tag prefix until the next chunk decides it", () => {
    const filter = new ThinkTagFilter();
    expect(filter.push("Hello <thi")).toBe("Hello ");
    expect(filter.push("nk>secret</th")).toBe("");
    expect(filter.reasoning).toBe("secret");
    expect(filter.push("ink> world")).toBe(" world");
    expect(filter.flush()).toBe("");
  });

  it("a held-back prefix that turns out not to be a tag is released", () => {
    const filter = new ThinkTagFilter();
    expect(filter.push("a <th")).toBe("a ");
    expect(filter.push("e end")).toBe("<the end");
  });
});

describe("splitThinkTags (non-streamed content)", () => {
  for (const c of CASES) {
    it(c.name, () => {
      expect(splitThinkTags(c.input)).toEqual([c.visible, c.reasoning]);
    });
  }
});

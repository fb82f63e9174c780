/**
 * Splits `<think>…</think>` blocks out of streamed content, as Flocks' ThinkTagExtractor does:
 * reasoning models served through OpenAI-compatible gateways often inline their reasoning in the
 * content. Tags may be split across chunks, so a possible tag prefix at the end of a chunk is held
 * back until the next one.
 */
const OPEN = "<think>";
const CLOSE = "</think>";

export class ThinkTagFilter {
  #inThink = false;
  #pending = "";
  reasoning = "";

  /** Feed content; returns the visible (non-reasoning) part that is certain so far. */
  push(chunk: string): string {
    let text = this.#pending + chunk;
    this.#pending = "";
    let visible = "";
    for (;;) {
      const tag = this.#inThink ? CLOSE : OPEN;
      const at = text.indexOf(tag);
      if (at >= 0) {
        if (this.#inThink) this.reasoning += text.slice(0, at);
        else visible += text.slice(0, at);
        text = text.slice(at + tag.length);
        this.#inThink = !this.#inThink;
        continue;
      }
      const keep = partialTagSuffix(text, tag);
      const body = text.slice(0, text.length - keep);
      if (this.#inThink) this.reasoning += body;
      else visible += body;
      this.#pending = text.slice(text.length - keep);
      return visible;
    }
  }

  /** End of stream: whatever was held back is ordinary text (or reasoning inside an open block). */
  flush(): string {
    const rest = this.#pending;
    this.#pending = "";
    if (this.#inThink) {
      this.reasoning += rest;
      return "";
    }
    return rest;
  }
}

/** Each tag's proper prefixes by length (`PREFIXES[tag][n]` = its first n characters), built once. */
const PREFIXES: Record<string, string[]> = {
  [OPEN]: Array.from({ length: OPEN.length }, (_, n) => OPEN.slice(0, n)),
  [CLOSE]: Array.from({ length: CLOSE.length }, (_, n) => CLOSE.slice(0, n)),
};

/** Length of the longest suffix of `text` that is a proper prefix of `tag`. */
function partialTagSuffix(text: string, tag: string): number {
  const prefixes = PREFIXES[tag]!;
  for (let n = Math.min(tag.length - 1, text.length); n > 0; n--) {
    if (text.endsWith(prefixes[n]!)) return n;
  }
  return 0;
}

/** Non-streamed content: remove every `<think>` block, returning `[visible, reasoning]`. */
export function splitThinkTags(content: string): [string, string] {
  const filter = new ThinkTagFilter();
  const visible = filter.push(content) + filter.flush();
  return [visible, filter.reasoning];
}

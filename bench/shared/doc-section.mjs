// Each benchmark owns one section of docs/benchmarks.md, between `<!-- NAME:start -->` and
// `<!-- NAME:end -->`. Rewriting it leaves every other section byte for byte as it was.
import { existsSync, readFileSync, writeFileSync } from "node:fs";

/**
 * Replace the section `name` with `markdown`, or append it (after `intro`) when the doc has none
 * yet; a missing doc is created from `newDoc`.
 */
export function writeDocSection(docPath, name, markdown, { intro = "", newDoc = "# Benchmarks\n" } = {}) {
  const startMarker = `<!-- ${name}:start -->`;
  const endMarker = `<!-- ${name}:end -->`;
  const section = `${startMarker}\n${markdown}\n${endMarker}`;
  let text = existsSync(docPath) ? readFileSync(docPath, "utf8") : newDoc;
  const start = text.indexOf(startMarker);
  const end = text.indexOf(endMarker);
  if (start >= 0 && end > start) {
    text = text.slice(0, start) + section + text.slice(end + endMarker.length);
  } else {
    text = `${text.trimEnd()}\n\n${intro}${section}\n`;
  }
  writeFileSync(docPath, text);
}

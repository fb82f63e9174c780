/**
 * Splits the worker's protocol stream into lines (one JSON frame each) with a bound on a line's
 * size that holds *while* it arrives: a worker that sends an endless line is stopped at the bound,
 * not after buffering all of it. Lines are decoded as UTF-8 once they are complete, so a
 * character split across two chunks is never mangled. Cheaper per frame than node:readline, which
 * decodes every chunk and splits it with a regular expression.
 */
const NEWLINE = 0x0a;

export class FrameLines {
  readonly #maxBytes: number;
  readonly #onLine: (line: string) => void;
  readonly #onOversize: () => void;
  /** The start of a line whose end has not arrived yet. */
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #stopped = false;

  constructor(maxBytes: number, onLine: (line: string) => void, onOversize: () => void) {
    this.#maxBytes = maxBytes;
    this.#onLine = onLine;
    this.#onOversize = onOversize;
  }

  push(chunk: Buffer): void {
    let start = 0;
    while (!this.#stopped) {
      const end = chunk.indexOf(NEWLINE, start);
      if (end < 0) break;
      if (this.#pendingBytes + (end - start) > this.#maxBytes) return this.#oversize();
      let line: string;
      if (this.#pendingBytes === 0) {
        line = chunk.toString("utf8", start, end);
      } else {
        this.#pending.push(chunk.subarray(start, end));
        line = Buffer.concat(this.#pending).toString("utf8");
        this.#pending = [];
        this.#pendingBytes = 0;
      }
      start = end + 1;
      this.#onLine(line);
    }
    if (this.#stopped || start >= chunk.length) return;
    const rest = chunk.subarray(start);
    if (this.#pendingBytes + rest.length > this.#maxBytes) return this.#oversize();
    this.#pending.push(rest);
    this.#pendingBytes += rest.length;
  }

  #oversize(): void {
    this.#stopped = true;
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#onOversize();
  }
}

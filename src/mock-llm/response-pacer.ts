/**
 * Writes one response at the pace a behaviour asks for, and stops the moment the response closes.
 *
 * The abort signal fires on the response's 'close' (client gone, socket destroyed, or the server
 * closing), and every wait here (a delay, backpressure, a stall) ends on it: a delay's timer is
 * cleared, a listener removed. So a stalled or slow response never outlives its socket, and
 * `close()` on the server leaves no timer behind (issue 3: the process must exit by itself).
 */
import { once } from "node:events";
import type { ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import type { MockRequestOutcome } from "./types.js";

export class ResponsePacer {
  readonly res: ServerResponse;
  readonly #controller = new AbortController();
  /** Set by a writer that ended the response itself in a way 'close' cannot tell apart. */
  outcome: MockRequestOutcome | undefined;

  constructor(res: ServerResponse) {
    this.res = res;
    res.once("close", () => this.#controller.abort());
  }

  get closed(): boolean {
    return this.#controller.signal.aborted;
  }

  /** Rejects (with an AbortError) if the response closes first. */
  delay(ms: number): Promise<void> {
    this.#throwIfClosed();
    return ms > 0 ? sleep(ms, undefined, { signal: this.#controller.signal }) : Promise.resolve();
  }

  /** Waits for 'drain' when the socket is full, so a client that stops reading is not buffered for. */
  async write(text: string): Promise<void> {
    this.#throwIfClosed();
    if (!this.res.write(text)) await once(this.res, "drain", { signal: this.#controller.signal });
  }

  /** Resolves once everything written so far has been handed to the kernel. */
  flushed(): Promise<void> {
    this.#throwIfClosed();
    // write() corks the socket until the next tick; a destroy before then would drop the bytes.
    return this.#untilClosedOr((resolve) => this.res.write("", () => resolve()));
  }

  /** The stall: nothing more is sent, and this settles (rejecting) only when the response closes. */
  untilClosed(): Promise<never> {
    return this.#untilClosedOr(() => {});
  }

  #untilClosedOr<T>(start: (resolve: (value: T) => void) => void): Promise<T> {
    const signal = this.#controller.signal;
    return new Promise<T>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const onAbort = (): void => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      start((value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      });
    });
  }

  #throwIfClosed(): void {
    this.#controller.signal.throwIfAborted();
  }
}

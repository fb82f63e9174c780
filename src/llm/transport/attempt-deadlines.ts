/**
 * The three deadlines of one LLM attempt (SPEC §1.5), each firing on time whatever else is
 * attached: total (whole attempt), TTFT (headers plus first content chunk), idle (between chunks,
 * started at the first chunk and refreshed by every parsed event). They abort one controller whose
 * signal goes to the socket; the reason is a TimeoutError naming which one fired. The caller's
 * cancel signal aborts the same controller with its own reason (RunCancelledError), so whatever
 * catches the error can tell a timeout from a cancel.
 *
 * Hot path: `touch()` runs once per SSE event; it refreshes one timer and allocates nothing.
 */
import { TimeoutError, formatSeconds } from "../../errors.js";
import { subscribeAbort } from "../../signals/subscribe-abort.js";

export interface AttemptDeadlineSettings {
  totalMs: number;
  ttftMs: number;
  idleMs: number;
}

export class AttemptDeadlines {
  readonly #controller = new AbortController();
  readonly #idleMs: number;
  #total: NodeJS.Timeout | undefined;
  #ttft: NodeJS.Timeout | undefined;
  #idle: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;

  constructor(settings: AttemptDeadlineSettings, cancel: AbortSignal) {
    this.#idleMs = settings.idleMs;
    if (cancel.aborted) {
      this.#controller.abort(cancel.reason);
      return;
    }
    this.#unsubscribe = subscribeAbort(cancel, () => this.#abort(cancel.reason));
    if (settings.totalMs > 0) {
      this.#total = setTimeout(() => this.#abort(new TimeoutError("attempt", settings.totalMs, `LLM call timed out after ${formatSeconds(settings.totalMs)}s`)), settings.totalMs);
    }
    if (settings.ttftMs > 0) {
      this.#ttft = setTimeout(() => this.#abort(new TimeoutError("ttft", settings.ttftMs, `LLM gave no first token within ${formatSeconds(settings.ttftMs)}s`)), settings.ttftMs);
    }
  }

  /** The signal handed to undici: aborted by any deadline or by the cancel signal. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** The first content arrived: the TTFT deadline is met; the idle deadline starts. */
  firstChunk(): void {
    if (this.#ttft) {
      clearTimeout(this.#ttft);
      this.#ttft = undefined;
    }
    if (this.#idleMs > 0 && !this.#idle) {
      const idleMs = this.#idleMs;
      this.#idle = setTimeout(() => this.#abort(new TimeoutError("idle", idleMs, `LLM stream went quiet for ${formatSeconds(idleMs)}s`)), idleMs);
    }
  }

  /** Another event arrived: push the idle deadline back. */
  touch(): void {
    this.#idle?.refresh();
  }

  /** Abort the attempt (releases the socket) with `reason` unless it is already aborted. */
  abort(reason: unknown): void {
    this.#abort(reason);
  }

  #abort(reason: unknown): void {
    if (!this.#controller.signal.aborted) this.#controller.abort(reason);
    this.dispose();
  }

  /** Clear every timer and the cancel listener; idempotent. */
  dispose(): void {
    if (this.#total) clearTimeout(this.#total);
    if (this.#ttft) clearTimeout(this.#ttft);
    if (this.#idle) clearTimeout(this.#idle);
    this.#total = this.#ttft = this.#idle = undefined;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }
}

/**
 * The three deadlines of one LLM attempt (SPEC §1.5), each firing on time whatever else is
 * attached: total (whole attempt), TTFT (headers plus first content chunk), idle (between chunks,
 * started at the first chunk and refreshed by every parsed event). They abort one signal that goes
 * to the socket; the reason is a TimeoutError naming which one fired. The caller's cancel signal
 * aborts the same signal with its own reason (RunCancelledError), so whatever catches the error can
 * tell a timeout from a cancel.
 *
 * One timer serves all three deadlines. It is armed for the earliest deadline that can still fire;
 * when it goes off it re-reads the clock, aborts with the deadline that is due, or — when the one it
 * was armed for has been met (first chunk) or pushed back (idle) meanwhile — re-arms for the next.
 * So a call that ends before its TTFT deadline sets one timer and clears it, and `touch()` only
 * records a time.
 *
 * Hot path: `touch()` runs once per SSE event; it reads the clock and allocates nothing.
 */
import { EventEmitter } from "node:events";
import { TimeoutError, formatSeconds } from "../../errors.js";
import { subscribeAbort } from "../../signals/subscribe-abort.js";
import { MAX_TIMER_MS } from "../abortable-delay.js";

export interface AttemptDeadlineSettings {
  totalMs: number;
  ttftMs: number;
  idleMs: number;
}

/**
 * The attempt's abort signal, in the EventEmitter form undici's `request({ signal })` accepts
 * (documented: `AbortSignal | EventEmitter`). It is read like an AbortSignal (`aborted`, `reason`)
 * and emits `"abort"` once. An AbortController would cost a few µs per attempt to create its
 * AbortSignal, and EventTarget listeners cost more to add and remove than emitter ones; this signal
 * is private to one attempt, so none of AbortSignal's extra abilities are needed.
 */
export class AttemptSignal extends EventEmitter {
  aborted = false;
  reason: unknown = undefined;
}

export class AttemptDeadlines {
  readonly #signal = new AttemptSignal();
  /** `performance.now()` times at which each deadline is due; Infinity = off (or met, for TTFT). */
  #totalAt = Infinity;
  #ttftAt = Infinity;
  readonly #totalMs: number;
  readonly #ttftMs: number;
  readonly #idleMs: number;
  /** Time of the first chunk or the latest event; -1 until the first chunk (idle not started). */
  #lastEventAt = -1;
  #timer: NodeJS.Timeout | undefined;
  /** When the armed timer is due (`performance.now()` time); Infinity when none is armed. */
  #armedAt = Infinity;
  #unsubscribe: (() => void) | undefined;
  #disposed = false;

  constructor(settings: AttemptDeadlineSettings, cancel: AbortSignal) {
    this.#totalMs = settings.totalMs;
    this.#ttftMs = settings.ttftMs;
    this.#idleMs = settings.idleMs;
    if (cancel.aborted) {
      this.#abort(cancel.reason);
      return;
    }
    this.#unsubscribe = subscribeAbort(cancel, () => this.#abort(cancel.reason));
    const now = performance.now();
    if (settings.totalMs > 0) this.#totalAt = now + settings.totalMs;
    if (settings.ttftMs > 0) this.#ttftAt = now + settings.ttftMs;
    this.#arm(now);
  }

  /** The signal handed to undici: aborted by any deadline or by the cancel signal. */
  get signal(): AttemptSignal {
    return this.#signal;
  }

  /**
   * The first content arrived: the TTFT deadline is met; the idle deadline starts. The timer is
   * left as it is: if it was armed for TTFT, it re-arms for the next deadline when it goes off.
   */
  firstChunk(): void {
    this.#ttftAt = Infinity;
    if (this.#lastEventAt < 0 && this.#idleMs > 0 && !this.#disposed) {
      const now = performance.now();
      this.#lastEventAt = now;
      // Nothing armed (no total deadline) or armed later than the idle deadline: arm for idle.
      if (this.#timer === undefined || now + this.#idleMs < this.#armedAt) this.#arm(now);
    }
  }

  /** Another event arrived: push the idle deadline back (checked when the timer goes off). */
  touch(): void {
    if (this.#lastEventAt >= 0) this.#lastEventAt = performance.now();
  }

  /** Abort the attempt (releases the socket) with `reason` unless it is already aborted. */
  abort(reason: unknown): void {
    this.#abort(reason);
  }

  #abort(reason: unknown): void {
    const signal = this.#signal;
    if (!signal.aborted) {
      signal.aborted = true;
      signal.reason = reason;
      signal.emit("abort");
    }
    this.dispose();
  }

  /** Clear the timer and the cancel listener; idempotent. */
  dispose(): void {
    this.#disposed = true;
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#armedAt = Infinity;
    }
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  /** When the earliest deadline still to come is due (Infinity: none is set). */
  #next(): number {
    const idleAt = this.#lastEventAt >= 0 && this.#idleMs > 0 ? this.#lastEventAt + this.#idleMs : Infinity;
    return Math.min(this.#totalAt, this.#ttftAt, idleAt);
  }

  /** (Re-)arm the one timer for the earliest deadline, or leave none when no deadline is set. */
  #arm(now: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const at = this.#next();
    this.#armedAt = at;
    if (at === Infinity || this.#disposed) return;
    // Timers run on the event loop's cached clock, so one may go off a little before
    // `performance.now()` reaches `at`; #onTimer then arms again for the rest. The same re-arming
    // carries a deadline longer than a timer can hold (a Node timer would fire at once).
    this.#timer = setTimeout(this.#onTimer, Math.min(MAX_TIMER_MS, Math.max(1, Math.ceil(at - now))));
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    const now = performance.now();
    // When several are due, the one due first wins, as with one timer per deadline; on a tie the
    // total deadline first, then TTFT.
    const dueAt = this.#next();
    if (dueAt > now) return this.#arm(now);
    if (dueAt === this.#totalAt) {
      this.#abort(new TimeoutError("attempt", this.#totalMs, `LLM call timed out after ${formatSeconds(this.#totalMs)}s`));
    } else if (dueAt === this.#ttftAt) {
      this.#abort(new TimeoutError("ttft", this.#ttftMs, `LLM gave no first token within ${formatSeconds(this.#ttftMs)}s`));
    } else {
      this.#abort(new TimeoutError("idle", this.#idleMs, `LLM stream went quiet for ${formatSeconds(this.#idleMs)}s`));
    }
  };
}

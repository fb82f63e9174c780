// @ts-check
/**
 * The shared-memory channel between the host and one JavaScript worker thread (used by
 * `js-worker.ts` on the host and `code-worker.js` in the thread). Plain JavaScript so that the
 * worker can load it from `src/` under the test runner as well as from `dist/`.
 *
 * Why not postMessage: a warm trivial node is dominated by transport. On the 2-core bench VM a
 * `postMessage` cost the host ~29 µs per job and the worker ~6–10 µs (serialisation, the native
 * wake-up of the other thread), plus the 'message' event machinery on the receiving side. Jobs and
 * results instead go through one SharedArrayBuffer per worker:
 *
 *   control (Int32Array)  doorbells, the current job's header, the last result's header
 *   job region            host → worker: node id, code, inputs JSON as UTF-8, one after another
 *   result region         worker → host: the result's strings, one after another
 *
 * Protocol (each side writes only its own region and header words, then publishes them with an
 * atomic bump of a doorbell; the other side reads them after it has observed the bump, so plain
 * reads of the header are ordered by that atomic read):
 *
 *   host:   write the job (or post it on the `fromHost` port when it does not fit and mark it
 *           VIA_PORT), store JOB_ID, bump TO_WORKER and notify it.
 *   worker: wait for TO_WORKER to move (briefly spinning first, see code-worker.js), run the job,
 *           write the result (or post it on the `toHost` port when it does not fit), store
 *           RESULT_JOB, bump TO_HOST and notify it.
 *   worker: a host call (`tool.run` …) is posted on the `toHost` port, then TO_HOST is bumped.
 *   host:   while a job runs it watches TO_HOST (polling from the event loop for a short while,
 *           then with `Atomics.waitAsync`); on each look it reads RESULT_JOB first, then drains
 *           `toHost` with `receiveMessageOnPort` (so a call posted before the result is always
 *           served before the result settles the job), then settles.
 *
 * The host only writes a job while the worker is idle, and the worker only writes a result while it
 * runs that job, so neither region needs a lock. The regions are sized for ordinary payloads; larger
 * ones take the port, which keeps their order with the rest of the traffic on that port.
 */

/** Bumped by the host after each reply to a synchronous host call (put on `fromHost`). */
export const SYNC_REPLY = 0;
/** 1 while the current job's signal has aborted (`cancelled()` in user code). */
export const CANCEL = 1;
/** Bumped by the host for each job it hands over. */
export const TO_WORKER = 2;
/** Bumped by the worker after each message on `toHost` and after each result. */
export const TO_HOST = 3;
/** Id of the job in the job region; VIA_INLINE or VIA_PORT; byte lengths of its three strings. */
export const JOB_ID = 4;
export const JOB_VIA = 5;
export const JOB_LENGTHS = 6;
/** Id of the job whose result is in the result region (0: none); RESULT_DONE or RESULT_FAILED. */
export const RESULT_JOB = 9;
export const RESULT_KIND = 10;
/** Byte lengths of the result's strings (up to four). */
export const RESULT_LENGTHS = 11;
const CONTROL_WORDS = 16;

export const VIA_INLINE = 0;
export const VIA_PORT = 1;
/** Strings: outputs JSON, stdout. */
export const RESULT_DONE = 1;
/** Strings: error name, message, traceback, stdout. */
export const RESULT_FAILED = 2;

const JOB_BYTES = 64 * 1024;
const RESULT_BYTES = 64 * 1024;

/** @returns {SharedArrayBuffer} one worker's channel memory, all zero */
export function createChannelBuffer() {
  return new SharedArrayBuffer(CONTROL_WORDS * 4 + JOB_BYTES + RESULT_BYTES);
}

/**
 * @param {SharedArrayBuffer} buffer
 * @returns {{ control: Int32Array, job: Uint8Array, result: Uint8Array }}
 */
export function channelViews(buffer) {
  return {
    control: new Int32Array(buffer, 0, CONTROL_WORDS),
    job: new Uint8Array(buffer, CONTROL_WORDS * 4, JOB_BYTES),
    result: new Uint8Array(buffer, CONTROL_WORDS * 4 + JOB_BYTES, RESULT_BYTES),
  };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Writes `strings` one after another into `region`, their byte lengths into
 * `control[lengthsAt + i]`. Returns false (the region's content is then undefined) when they do
 * not all fit.
 * @param {Int32Array} control @param {number} lengthsAt @param {Uint8Array} region @param {string[]} strings
 */
export function writeStrings(control, lengthsAt, region, strings) {
  let offset = 0;
  for (let i = 0; i < strings.length; i++) {
    const text = strings[i];
    // Every UTF-16 unit takes at least one byte: a cheap early no for long strings.
    if (text.length > region.length - offset) return false;
    const { read, written } = encoder.encodeInto(text, region.subarray(offset));
    if (read !== text.length) return false;
    control[lengthsAt + i] = written;
    offset += written;
  }
  return true;
}

/**
 * Reads back `count` strings written by writeStrings.
 * @param {Int32Array} control @param {number} lengthsAt @param {Uint8Array} region @param {number} count
 * @returns {string[]}
 */
export function readStrings(control, lengthsAt, region, count) {
  const strings = new Array(count);
  let offset = 0;
  for (let i = 0; i < count; i++) {
    const length = control[lengthsAt + i];
    strings[i] = decoder.decode(region.subarray(offset, offset + length));
    offset += length;
  }
  return strings;
}

/**
 * Adaptive busy-waiting, used by both sides: the worker spinning for its next job and the host
 * polling for a result. Spinning pays only while the other thread runs on another core; when the
 * two share a core, or other processes take the cores, every spin runs to its time limit and only
 * delays the thread it waits for. So each spin that ends empty-handed doubles the number of
 * following waits that sleep at once (up to 1,023), and a spin that succeeds resets it: a busy
 * machine falls back to plain sleeping within a few jobs and is re-probed from time to time.
 */
export class SpinBudget {
  #failures = 0;
  #skips = 0;

  /** @returns {boolean} whether this wait may spin */
  tryTake() {
    if (this.#skips === 0) return true;
    this.#skips--;
    return false;
  }

  succeeded() {
    this.#failures = 0;
  }

  failed() {
    this.#failures = Math.min(this.#failures + 1, 10);
    this.#skips = (1 << this.#failures) - 1;
  }
}

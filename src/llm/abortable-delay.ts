import { subscribeAbort } from "../signals/subscribe-abort.js";

/** The longest delay a Node timer can hold (2^31 − 1 ms, about 24.8 days); longer ones fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A sleep that ends at once, with the signal's reason, when the signal aborts (peers.md #16). */
export function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  if (ms <= 0) return Promise.resolve();
  if (ms > MAX_TIMER_MS) return Promise.reject(new RangeError(`a delay of ${ms} ms is longer than a timer can hold`));
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      resolve();
    }, ms);
    const unsubscribe = subscribeAbort(signal, () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });
}

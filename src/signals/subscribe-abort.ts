/**
 * One abort listener per signal, however many waiters share it.
 *
 * Many concurrent operations often wait on one long-lived signal: the LLM calls of a node that fans
 * out, the tool calls of a code node, the nodes of a wide batch on their run's signal. One
 * `addEventListener` each would pass Node's limit of 10 and print a MaxListenersExceededWarning
 * (SPEC §1.3: nothing on stderr). Subscribers are kept in a set behind a single listener, which is
 * removed as soon as the last subscriber leaves, so no listener outlives its work.
 */
interface Fanout {
  callbacks: Set<() => void>;
  listener: () => void;
}

const fanouts = new WeakMap<AbortSignal, Fanout>();

/**
 * Calls `callback` once when `signal` aborts (not if it already has: check `signal.aborted` first).
 * Returns the unsubscribe function; calling it more than once is harmless.
 */
export function subscribeAbort(signal: AbortSignal, callback: () => void): () => void {
  let fanout = fanouts.get(signal);
  if (!fanout) {
    const created: Fanout = {
      callbacks: new Set(),
      listener: () => {
        fanouts.delete(signal);
        for (const cb of created.callbacks) cb();
        created.callbacks.clear();
      },
    };
    fanout = created;
    fanouts.set(signal, fanout);
    signal.addEventListener("abort", fanout.listener, { once: true });
  }
  const owner = fanout;
  // A wrapper, so the same function subscribed twice is two subscriptions.
  const entry = (): void => callback();
  owner.callbacks.add(entry);
  return () => {
    if (!owner.callbacks.delete(entry) || owner.callbacks.size > 0) return;
    signal.removeEventListener("abort", owner.listener);
    if (fanouts.get(signal) === owner) fanouts.delete(signal);
  };
}

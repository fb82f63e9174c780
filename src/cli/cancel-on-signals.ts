/**
 * SIGINT / SIGTERM during `run` (SPEC §7): the first signal aborts the run's controller, and the
 * command carries on until the run has stopped its work and its result is printed. Installing a
 * listener turns off Node's default "die at once", which is the point. A second signal is the
 * user insisting: `onForce` (the bin's process.exit) ends the process right away.
 */
import { RunCancelledError } from "../errors.js";

const SIGNALS = ["SIGINT", "SIGTERM"] as const;

export interface SignalHooks {
  /** The first signal: the run is being cancelled. */
  onCancel?: (signal: NodeJS.Signals) => void;
  /** Any later signal. */
  onForce?: (signal: NodeJS.Signals) => void;
}

/** Installs the handlers; the returned function removes them. */
export function cancelOnSignals(controller: AbortController, hooks: SignalHooks = {}): () => void {
  let cancelling = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (cancelling) {
      hooks.onForce?.(signal);
      return;
    }
    cancelling = true;
    hooks.onCancel?.(signal);
    controller.abort(new RunCancelledError());
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
  return () => {
    for (const signal of SIGNALS) process.off(signal, onSignal);
  };
}

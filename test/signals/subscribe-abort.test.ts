import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { subscribeAbort } from "../../src/signals/subscribe-abort.js";

describe("subscribeAbort", () => {
  it("keeps one listener for any number of subscribers and removes it when the last one leaves", () => {
    const controller = new AbortController();
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void warnings.push(w);
    process.on("warning", onWarning);
    try {
      const unsubscribers = Array.from({ length: 100 }, () => subscribeAbort(controller.signal, () => {}));
      expect(getEventListeners(controller.signal, "abort")).toHaveLength(1);
      for (const unsubscribe of unsubscribers) unsubscribe();
      expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
      unsubscribers[0]!();
      expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings).toEqual([]);
  });

  it("calls every remaining subscriber once on abort, and a later subscription starts afresh", () => {
    const controller = new AbortController();
    const calls: string[] = [];
    subscribeAbort(controller.signal, () => calls.push("a"));
    const leave = subscribeAbort(controller.signal, () => calls.push("b"));
    subscribeAbort(controller.signal, () => calls.push("c"));
    leave();
    controller.abort();
    controller.abort();
    expect(calls).toEqual(["a", "c"]);
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });

  it("the same function subscribed twice is two subscriptions", () => {
    const controller = new AbortController();
    let count = 0;
    const callback = (): void => void count++;
    const first = subscribeAbort(controller.signal, callback);
    subscribeAbort(controller.signal, callback);
    first();
    controller.abort();
    expect(count).toBe(1);
  });
});

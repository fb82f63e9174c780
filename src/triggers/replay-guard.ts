/**
 * Replay protection for HMAC webhooks inside the timestamp window (reference flocks-service.md §9:
 * "add an HMAC replay window"). The window alone rejects an old delivery; this also rejects the same
 * signed delivery sent again while its timestamp is still fresh. A signature is claimed while its
 * call is dispatched and kept only when the call was taken (a run started or queued, or the event
 * was filtered or dropped by policy); a call refused for back-pressure (409/429) or a failed start
 * releases it, so the sender's retry of the same signed request still works.
 *
 * Memory is bounded: expired entries are swept when the map grows, and past `maxEntries` the oldest
 * claim is forgotten (its delivery then falls back to the window check alone).
 */

const SWEEP_AT = 1024;

export class ReplayGuard {
  readonly #seen = new Map<string, number>();
  readonly #maxEntries: number;

  constructor(maxEntries = 10_000) {
    this.#maxEntries = maxEntries;
  }

  /** False when the key was already claimed and has not expired. */
  claim(key: string, expiresAtMs: number, nowMs: number): boolean {
    const existing = this.#seen.get(key);
    if (existing !== undefined && existing > nowMs) return false;
    if (this.#seen.size >= SWEEP_AT) this.#sweep(nowMs);
    while (this.#seen.size >= this.#maxEntries) this.#seen.delete(this.#seen.keys().next().value!);
    this.#seen.delete(key);
    this.#seen.set(key, expiresAtMs);
    return true;
  }

  release(key: string): void {
    this.#seen.delete(key);
  }

  get size(): number {
    return this.#seen.size;
  }

  #sweep(nowMs: number): void {
    for (const [key, expiresAtMs] of this.#seen) if (expiresAtMs <= nowMs) this.#seen.delete(key);
  }
}

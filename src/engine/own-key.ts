/**
 * `target[key] = value` that keeps a `__proto__` key an ordinary own key. Payloads come from JSON
 * (workflow files, node outputs), where `"__proto__"` is a plain key; a plain assignment would
 * instead set the object's prototype and lose the key.
 */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/**
 * Commander argument parsers for numeric flags. They throw commander's InvalidArgumentError, which
 * commander reports naming the flag (`option '--timeout <seconds>' argument 'x' is invalid`) and
 * main maps to exit 2.
 */
import { InvalidArgumentError } from "commander";

function parseNumber(value: string, flag: string): number {
  const n = value.trim() === "" ? Number.NaN : Number(value);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`${flag} must be a number; got "${value}".`);
  return n;
}

export function parsePositiveSeconds(flag: string): (value: string) => number {
  return (value) => {
    const n = parseNumber(value, flag);
    if (n <= 0) throw new InvalidArgumentError(`${flag} must be a positive number of seconds.`);
    return n;
  };
}

/** 0 switches the timeout off. */
export function parseNonNegativeSeconds(flag: string): (value: string) => number {
  return (value) => {
    const n = parseNumber(value, flag);
    if (n < 0) throw new InvalidArgumentError(`${flag} must be a number of seconds >= 0 (0 = no timeout).`);
    return n;
  };
}

export function parsePositiveInteger(flag: string): (value: string) => number {
  return (value) => {
    const n = parseNumber(value, flag);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${flag} must be an integer >= 1.`);
    return n;
  };
}

/** For repeatable flags (`--tools a --tools b`). */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

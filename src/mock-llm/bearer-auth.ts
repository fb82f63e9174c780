/** `Authorization: Bearer <key>`, compared in constant time (STYLE: secrets never by `===`). */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

export function hasBearerKey(headers: IncomingHttpHeaders, apiKey: string): boolean {
  const given = headers.authorization ?? "";
  // Hashing first gives both sides the same length, which timingSafeEqual requires.
  return timingSafeEqual(digest(given), digest(`Bearer ${apiKey}`));
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

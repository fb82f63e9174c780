/**
 * Authentication (SPEC §7): every route but `/health`, `/invoke/...` (its own `x-api-key`) and
 * `/webhook/...` (per-trigger auth) needs `Authorization: Bearer <token>`, checked in an `onRequest`
 * hook, so the 401 comes before anything else is looked at: body parsing, validation, and even
 * routing (an unknown path answers 401, not 404, to a caller without a token).
 *
 * Routes opt out with `config: { public: true }`, decided by the matched route, never by the URL
 * text, so no spelling of a path can slip past the check.
 *
 * Secrets are compared in constant time: both sides are hashed to 32 bytes first, so the compare
 * takes the same time whatever the lengths, and every configured token is compared (no early exit).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";

export interface PublicRouteConfig {
  public?: boolean;
}

export function sha256(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** Constant-time check of `candidate` against a stored sha256 hex digest. */
export function matchesHash(candidate: string, expectedHex: string): boolean {
  const expected = Buffer.from(expectedHex, "hex");
  const actual = sha256(candidate);
  return expected.length === actual.length && timingSafeEqual(actual, expected);
}

export class TokenSet {
  readonly #hashes: Buffer[];

  constructor(tokens: readonly string[]) {
    this.#hashes = tokens.filter((t) => t !== "").map(sha256);
  }

  get size(): number {
    return this.#hashes.length;
  }

  has(candidate: string): boolean {
    const actual = sha256(candidate);
    let found = false;
    for (const hash of this.#hashes) found = timingSafeEqual(actual, hash) || found;
    return found;
  }
}

/** `Authorization: Bearer <token>` → the token, else undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match?.[1];
}

export function createBearerAuthHook(tokens: TokenSet) {
  return function bearerAuth(request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void): void {
    const config = request.routeOptions.config as PublicRouteConfig | undefined;
    if (config?.public === true) {
      done();
      return;
    }
    const token = bearerToken(request.headers.authorization);
    if (token !== undefined && tokens.has(token)) {
      done();
      return;
    }
    reply.code(401).header("www-authenticate", 'Bearer realm="flockflow"').send({ error: "unauthorized: send Authorization: Bearer <token>" });
  };
}

/**
 * One `error: ...` block on stderr for an error that ended a command, and the exit code for it.
 * Errors the user can act on (an invalid workflow lists `location: message` lines) print their own
 * message; anything unexpected also names its type, since that is what a bug report needs.
 */
import { describeError } from "../errors.js";
import { EXIT_USAGE, exitCodeForError } from "./exit-codes.js";

export function reportError(error: unknown, stream: NodeJS.WritableStream = process.stderr): number {
  const code = exitCodeForError(error);
  const text = code === EXIT_USAGE && error instanceof Error ? error.message : describeError(error);
  stream.write(`error: ${text}\n`);
  return code;
}

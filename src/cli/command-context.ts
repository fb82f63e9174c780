/** What `main` hands each command: where to put the exit code, and the bin's emergency exit. */
export interface CommandContext {
  exitCode: number;
  /** Ends the process at once (a second SIGINT). Only the bin supplies it; in-process callers don't. */
  forceExit?: (code: number) => void;
}

#!/usr/bin/env node
// The `flockflow` executable: runs the built CLI and sets process.exitCode, so the process ends by
// itself once stdout and stderr have drained; main never calls process.exit.
import { main } from "../dist/cli/main.js";

/** How long the process may stay busy after main returned before it is made to exit. */
const LEFT_BEHIND_GRACE_MS = 500;

const code = await main(process.argv, { forceExit: (exitCode) => process.exit(exitCode) });
process.exitCode = code;

// Safety net. main has closed the runtime, so normally nothing is left and this unref'd timer
// never fires. What can be left is a tools module's own work: a tool that ignored its abort signal
// was abandoned on cancel or timeout (SPEC §7 "Tools") but its timers and sockets would keep the
// process alive for as long as they like. Say so, let the output drain, then exit.
setTimeout(() => {
  process.stderr.write(`warning: work left behind by a tools module kept flockflow running ${LEFT_BEHIND_GRACE_MS} ms after the run ended; exiting\n`, () => {
    process.stdout.write("", () => process.exit(code));
  });
}, LEFT_BEHIND_GRACE_MS).unref();

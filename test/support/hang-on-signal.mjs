// Test-only fault injection, never shipped: preloaded into a daemon with NODE_OPTIONS=--import=<this file>
// (the rig's systemd drop-in, test/system/test-hang.test.ts), it makes SIGUSR2 block the main thread
// forever, so a test can prove systemd's watchdog kills and restarts a hung ferryd. Plain JS: the
// installed ferryd runs on bare node, without tsx.
import { writeSync } from 'node:fs';

process.on('SIGUSR2', () => {
  writeSync(2, 'ferry-test: SIGUSR2 received: blocking the main loop (test hang)\n');
  // Atomics.wait on a value nobody changes: to systemd the same as a busy loop (no timers run, so no
  // watchdog pings) but without burning CPU. SIGABRT (the watchdog's signal) and SIGKILL still end it.
  const cell = new Int32Array(new SharedArrayBuffer(4));
  for (;;) Atomics.wait(cell, 0, 0);
});

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'hw-tests/**/*.test.ts'],
    // The rig's work dir holds a VM root file system (with /proc mounted while it builds).
    exclude: ['**/node_modules/**', 'hw-tests/rig/work/**', 'dist/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // 2-core CI machine: real servers, dbus-daemons and ptys per file; keep parallelism modest.
    maxWorkers: 2,
    reporters: ['default'],
  },
});

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['model-tests/**/*.test.ts'],
    // The exhaustive chart checks take tens of seconds on a loaded 2-core machine; every wait on QEMU
    // or a socket has its own, shorter timeout.
    testTimeout: 180_000,
  },
});

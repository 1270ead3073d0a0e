import { describe, it, expect } from 'vitest';
import { existsSync } from 'node:fs';
describe('rig', () => {
  it('runs', () => { expect(existsSync('/sys')).toBe(true); });
});

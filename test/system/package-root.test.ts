// packageRoot finds the folder of ferry's own package.json from any module's folder (src/, dist/src/, the
// bundle), past the nameless {"type":"module"} files the bundle puts beside its modules.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/system/package-root.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tree(): { root: string; deep: string } {
  const root = mkdtempSync(join(tmpdir(), 'ferry-pkgroot-'));
  dirs.push(root);
  const deep = join(root, 'dist', 'src', 'cli', 'bundle');
  mkdirSync(deep, { recursive: true });
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'ferry', version: '1.2.3' }));
  return { root, deep };
}

describe('packageRoot', () => {
  it('walks past nameless and unreadable package.json files to the named one', () => {
    const { root, deep } = tree();
    writeFileSync(join(deep, 'package.json'), '{"type":"module"}\n');
    writeFileSync(join(root, 'dist', 'src', 'cli', 'package.json'), '{"type":"module"}\n');
    writeFileSync(join(root, 'dist', 'package.json'), 'not json');
    expect(packageRoot(deep)).toBe(root);
  });

  it('stops at the nearest named one', () => {
    const { root, deep } = tree();
    writeFileSync(join(root, 'dist', 'package.json'), JSON.stringify({ name: 'inner' }));
    expect(packageRoot(deep)).toBe(join(root, 'dist'));
  });

  it('is null when no folder up to / has a named package.json', () => {
    const root = mkdtempSync(join(tmpdir(), 'ferry-pkgroot-'));
    dirs.push(root);
    writeFileSync(join(root, 'package.json'), '{"type":"module"}');
    // Above the temporary folder sit only system folders; none of them is a package.
    expect(packageRoot(root)).toBeNull();
  });
});

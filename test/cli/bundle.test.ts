// ferryd runs as one bundle (scripts/bundle-ferryd.mjs): every way of starting it (bin, the .deb's
// wrapper, tests, benches) gets the bundle, which must still find what it finds from dist/src.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { FERRYD } from '../support/agent.js';

const run = promisify(execFile);

describe('the ferryd bundle', () => {
  it('is what dist/src/cli/ferryd.js holds: TypeBox, pino, better-sqlite3\'s JavaScript and ferry inside, native addons outside', () => {
    const src = readFileSync(FERRYD, 'utf8');
    expect(src).not.toMatch(/from ["']\.\.\/main\.js["']/); // tsc's output would import main.js
    expect(src).not.toMatch(/from ["']@sinclair\/typebox/);
    // Loaded one file at a time from node_modules, these two made V8 optimise at start-up (bundle-ferryd.mjs).
    expect(src).not.toMatch(/from ["'](pino|better-sqlite3)["']/);
    expect(src).toContain('SqliteError');
    // The chunks it imports statically, plus itself, are all an idle ferryd loads of ferry's code.
    const chunks = [...src.matchAll(/from ["']\.\/bundle\/([^"']+)["']/g)].map((m) => m[1]);
    expect(chunks.length).toBeGreaterThan(0);
    expect(chunks.length).toBeLessThan(30);
    // ASCII only: V8 holds a source with any other character at two bytes per character.
    for (const f of [FERRYD, ...chunks.map((c) => join(dirname(FERRYD), 'bundle', c!))]) expect(readFileSync(f, 'latin1')).not.toMatch(/[^\x00-\x7f]/);
  });

  it('ends Node\'s package scope walk beside its modules with nameless package.json files', () => {
    for (const dir of [dirname(FERRYD), join(dirname(FERRYD), 'bundle')]) {
      expect(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))).toEqual({ type: 'module' });
    }
  });

  it('reports the package version (found by walking up from the bundle, past the nameless package.json files)', async () => {
    const { stdout } = await run(process.execPath, [FERRYD, '--version']);
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(stdout.trim()).toContain(pkg.version);
  });

  it('validates a config with the bundled TypeBox and names the bad field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-bundle-'));
    const file = join(dir, 'ferry.json');
    writeFileSync(file, JSON.stringify({ socket: { path: 5 } }));
    const err = (await run(process.execPath, [FERRYD, '--check-config', file]).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    ))!;
    expect(err.code).toBe(1);
    expect(err.stderr).toContain(`${file}: socket.path: Expected string`);
    rmSync(dir, { recursive: true });
  });
});

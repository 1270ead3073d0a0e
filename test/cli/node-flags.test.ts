// ferryd's Node flags: this node accepts them, and every way of starting ferryd uses them.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { FERRYD_NODE_FLAGS } from '../../src/cli/node-flags.js';

const run = promisify(execFile);

describe('ferryd node flags', () => {
  it('are accepted by this node', async () => {
    const { stdout } = await run(process.execPath, [...FERRYD_NODE_FLAGS, '-p', 'process.execArgv.filter((a) => a.startsWith("--")).join(" ")']);
    expect(stdout.trim()).toBe(FERRYD_NODE_FLAGS.join(' '));
  });

  it('are on npm start and in the package build', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toContain(`node ${FERRYD_NODE_FLAGS.join(' ')} dist/src/cli/ferryd.js`);
    expect(readFileSync('packaging/build-deb.sh', 'utf8')).toContain('m.FERRYD_NODE_FLAGS');
  });
});

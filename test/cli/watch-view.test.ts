// The watch views on their own: how the TTY block of bars evolves as transfers finish, and the
// socket discovery order as a pure function.
import { describe, expect, it } from 'vitest';
import { createWatchView } from '../../src/cli/format/watch-view.js';
import { resolveSocketPath } from '../../src/cli/args.js';
import { makeTransfer } from './api-samples.js';

function tty(): { out: { write(s: string): void; isTTY: boolean; columns: number }; text(): string } {
  let text = '';
  return { out: { write: (s: string) => void (text += s), isTTY: true, columns: 100 }, text: () => text };
}

describe('TTY watch view', () => {
  it('keeps live bars together at the bottom and leaves a finished one in place', () => {
    const screen = tty();
    const view = createWatchView(screen.out, { now: () => 0 });
    const a = makeTransfer({ id: 'aaaaaaaa-1', state: 'running' });
    const b = makeTransfer({ id: 'bbbbbbbb-2', state: 'running' });
    view.transfer(a);
    view.transfer(b);
    view.transfer({ ...a, state: 'completed', bytesTransferred: a.totalBytes! });
    const before = screen.text().length;
    view.transfer({ ...b, bytesTransferred: 1_000_000 });
    // After a finished, only b's bar is moved over and redrawn.
    expect(screen.text().slice(before)).toMatch(/^\x1b\[1F\x1b\[Jbbbbbbbb \[[#-]+\]\s+1 %  1 MB of 50 MB  running\n$/);
    // a's completion was redrawn over both bars: state line, a's final bar, then b's live bar.
    expect(screen.text()).toContain('\x1b[2F\x1b[Jaaaaaaaa completed (50 MB)\naaaaaaaa [');
  });

  it('prints plain lines without escape codes when not a TTY', () => {
    let text = '';
    const view = createWatchView({ write: (s: string) => void (text += s), isTTY: false }, { now: () => 0 });
    view.transfer(makeTransfer({ id: 'cccccccc-3', state: 'waiting', reasons: [{ code: 'metered', message: 'waits for an unmetered network' }] }));
    expect(text).toBe('cccccccc waiting: waits for an unmetered network\n');
  });
});

describe('resolveSocketPath', () => {
  it('prefers --socket, then $FERRY_SOCKET, then /run/ferry/ferry.sock; empty values do not count', () => {
    expect(resolveSocketPath('/a.sock', { FERRY_SOCKET: '/b.sock' })).toBe('/a.sock');
    expect(resolveSocketPath(undefined, { FERRY_SOCKET: '/b.sock' })).toBe('/b.sock');
    expect(resolveSocketPath(undefined, { FERRY_SOCKET: '' })).toBe('/run/ferry/ferry.sock');
    expect(resolveSocketPath(undefined, {})).toBe('/run/ferry/ferry.sock');
  });
});

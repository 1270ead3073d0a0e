// Real system users for the isolation tests: created with useradd --system by the test setup (and
// removed after), and requests made as them with runuser + curl over the agent's Unix socket, so the
// agent sees their real uid through SO_PEERCRED. Needs root; callers skip (or fail under CI) otherwise.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestUser {
  name: string;
  uid: number;
  gid: number;
}

export const canCreateUsers = (): boolean => process.geteuid?.() === 0;

function idOf(name: string): number | null {
  try {
    return Number(execFileSync('id', ['-u', name], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim());
  } catch {
    return null;
  }
}

/** Creates (or reuses) a system group and system users in it; `remove()` deletes what it created. */
export function createUsers(group: string, names: string[]): { users: Record<string, TestUser>; remove(): void } {
  const madeGroup = spawnOk('getent', ['group', group]) ? false : (execFileSync('groupadd', ['--system', group]), true);
  const made: string[] = [];
  const users: Record<string, TestUser> = {};
  for (const name of names) {
    if (idOf(name) === null) {
      execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', '--gid', group, name]);
      made.push(name);
    }
    const uid = idOf(name)!;
    const gid = Number(execFileSync('id', ['-g', name]).toString().trim());
    users[name] = { name, uid, gid };
  }
  return {
    users,
    remove() {
      for (const n of made) spawnOk('userdel', [n]);
      if (madeGroup) spawnOk('groupdel', [group]);
    },
  };
}

function spawnOk(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A shell command run as `user` (for planting files and links the way that user could). */
export async function shellAs(user: string, script: string): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run('runuser', ['-u', user, '--', 'sh', '-c', script]);
    return { code: 0, out: stdout + stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : 1, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

/** One API request as `user` through curl on the socket; the body is JSON when given. */
export async function apiAs(user: string, socket: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const args = ['-u', user, '--', 'curl', '-sS', '--unix-socket', socket, '-X', method, '-w', '\n%{http_code}'];
  if (body !== undefined) args.push('-H', 'content-type: application/json', '--data-binary', JSON.stringify(body));
  const { stdout } = await run('runuser', [...args, `http://ferry${path}`]);
  const cut = stdout.lastIndexOf('\n');
  const text = stdout.slice(0, cut);
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // non-JSON answers stay text
  }
  return { status: Number(stdout.slice(cut + 1)), body: parsed };
}

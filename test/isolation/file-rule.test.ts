// The file rule with real users: ferryd runs as root (and once as an unprivileged ferry-like user),
// clients A and B are system users in the socket's group, and B tries every way found in the review
// to make ferry read or write what B itself could not. Each attack must be refused with 0 leaks: the
// target outside stays as it was, A's folder gets nothing new, and B's origin receives nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { AgentProcess } from '../support/agent.js';
import { startOrigin, type Origin } from '../support/origin.js';
import { waitFor } from '../support/wait.js';
import { apiAs, canCreateUsers, createUsers, shellAs, type TestUser } from './users.js';

const GROUP = 'fiso';
const A = 'fiso-a';
const B = 'fiso-b';
const D = 'fiso-d';
const ok = canCreateUsers();
if (!ok) {
  const why = 'isolation tests need root to create system users (useradd) and act as them (runuser)';
  if (process.env['CI'] === 'true') throw new Error(`${why}; CI=true does not skip them`);
  console.warn(`skipping isolation tests: ${why}`);
}

const matrix: Array<{ attack: string; answer: string; leaks: number }> = [];
let origin: Origin;
let made: ReturnType<typeof createUsers>;
let users: Record<string, TestUser>;

beforeAll(async () => {
  if (!ok) return;
  made = createUsers(GROUP, [A, B, D]);
  users = made.users;
  origin = await startOrigin();
});
afterAll(async () => {
  if (!ok) return;
  await origin.close();
  made.remove();
  console.log(`isolation attack matrix (${matrix.length} attacks, ${matrix.reduce((n, m) => n + m.leaks, 0)} leaks):`);
  for (const m of matrix) console.log(`  ${m.leaks === 0 ? 'refused' : 'LEAKED '}  ${m.answer.padEnd(24)} ${m.attack}`);
});

function agentFor(): AgentProcess {
  const agent = new AgentProcess();
  agent.writeConfig({
    socket: { path: agent.socket, group: GROUP, mode: '0660' },
    clients: { list: [{ name: 'alice', uids: [users[A]!.uid] }, { name: 'bob', uids: [users[B]!.uid] }], allowUnlisted: false },
  });
  // The socket's folder must be reachable by the clients (mkdtemp makes it 0700).
  chmodSync(agent.dir.path, 0o755);
  return agent;
}

const answer = (r: { status: number; body: any }): string => `${r.status} ${r.body?.error?.code ?? r.body?.state ?? ''}`.trim();

describe.skipIf(!ok)('ferryd as root, clients A and B in the socket group', () => {
  let agent: AgentProcess;
  let victim: string;
  const victimText = 'root-owned 0600, outside the transfers root';
  const sink = () => origin.log.filter((e) => e.path.startsWith('/b-sink'));

  beforeAll(async () => {
    agent = agentFor();
    victim = join(agent.dir.path, 'victim.txt');
    writeFileSync(victim, victimText, { mode: 0o600 });
    origin.file('/payload.bin', Buffer.from('attacker payload'));
    origin.sink('/b-sink');
    await agent.start();
    // A's own transfer: its folder is made for it (0700, A's), the file is A's.
    origin.file('/a.bin', randomBytes(4096));
    const r = await apiAs(A, agent.socket, 'POST', '/v1/transfers', { url: origin.url('/a.bin'), path: 'done.bin' });
    expect(r.status).toBe(201);
    expect(r.body.path).toBe('alice/done.bin');
    await agent.waitTransfer(r.body.id, (t) => t.state === 'completed');
    const folder = statSync(join(agent.root, 'alice'));
    expect([folder.uid, folder.mode & 0o777]).toEqual([users[A]!.uid, 0o700]);
    expect(statSync(join(agent.root, 'alice/done.bin')).uid).toBe(users[A]!.uid);
    // A's private file, in a private folder of A's own.
    expect((await shellAs(A, `mkdir -m 700 ${agent.root}/alice/private && printf 'A secret' > ${agent.root}/alice/private/secret.txt && chmod 600 ${agent.root}/alice/private/secret.txt`)).code).toBe(0);
    // B's folder exists once B has asked for something.
    origin.file('/b.bin', Buffer.from('b'));
    const rb = await apiAs(B, agent.socket, 'POST', '/v1/transfers', { url: origin.url('/b.bin'), path: 'first.bin' });
    await agent.waitTransfer(rb.body.id, (t) => t.state === 'completed');
  });
  afterAll(async () => {
    await agent.stop();
  });

  const aFolderUnchanged = (): boolean =>
    JSON.stringify(readdirSync(join(agent.root, 'alice')).sort()) === JSON.stringify(['done.bin', 'private']) &&
    JSON.stringify(readdirSync(join(agent.root, 'alice/private'))) === JSON.stringify(['secret.txt']) &&
    readFileSync(join(agent.root, 'alice/private/secret.txt'), 'utf8') === 'A secret';

  it('symlink planted at the old part-file name: ferry never uses it, the file it points at is unchanged', async () => {
    expect((await shellAs(B, `ln -s ${victim} ${agent.root}/bob/.t.bin.ferry-part`)).code).toBe(0);
    // Nor can B reach ferry's real part folder.
    expect((await shellAs(B, `ln -s ${victim} ${agent.root}/.ferry-parts/x.part`)).code).not.toBe(0);
    const r = await apiAs(B, agent.socket, 'POST', '/v1/transfers', { url: origin.url('/payload.bin'), path: 't.bin' });
    expect(r.status).toBe(201);
    await agent.waitTransfer(r.body.id, (t) => t.state === 'completed');
    const leaks = Number(readFileSync(victim, 'utf8') !== victimText);
    matrix.push({ attack: 'B: symlink at part-file name -> root 0600 file', answer: 'ignored (parts private)', leaks });
    expect(leaks).toBe(0);
    expect(lstatSync(join(agent.root, 'bob/t.bin')).isFile()).toBe(true);
    expect(statSync(join(agent.root, 'bob/t.bin')).uid).toBe(users[B]!.uid);
  });

  it('symlink planted at the target path: refused at enqueue', async () => {
    expect((await shellAs(B, `ln -s ${victim} ${agent.root}/bob/evil.bin`)).code).toBe(0);
    const r = await apiAs(B, agent.socket, 'POST', '/v1/transfers', { url: origin.url('/payload.bin'), path: 'evil.bin' });
    const leaks = Number(readFileSync(victim, 'utf8') !== victimText);
    matrix.push({ attack: 'B: symlink at target -> root 0600 file', answer: answer(r), leaks });
    // A link that leads out of B's folder is named for that at enqueue; one that stays inside is PATH_SYMLINK.
    expect([r.status, r.body.error.code]).toEqual([400, 'PATH_OUTSIDE_ROOT']);
    expect(leaks).toBe(0);
  });

  it('symlink swapped in at the target while the download runs: refused at the rename', async () => {
    origin.file('/slow.bin', randomBytes(256 * 1024), { throttleBytesPerSec: 256 * 1024 });
    const r = await apiAs(B, agent.socket, 'POST', '/v1/transfers', { url: origin.url('/slow.bin'), path: 'late.bin' });
    expect(r.status).toBe(201);
    await agent.waitTransfer(r.body.id, (t) => t.state === 'running');
    expect((await shellAs(B, `ln -s ${victim} ${agent.root}/bob/late.bin`)).code).toBe(0);
    const t = await agent.waitTransfer(r.body.id, (x) => x.state === 'failed' || x.state === 'completed', 20_000);
    const leaks = Number(readFileSync(victim, 'utf8') !== victimText) + Number(!lstatSync(join(agent.root, 'bob/late.bin')).isSymbolicLink());
    matrix.push({ attack: 'B: symlink swapped in at target mid-download', answer: `${t.state} ${t.error?.code ?? ''}`, leaks });
    expect([t.state, t.error?.code]).toEqual(['failed', 'PATH_SYMLINK']);
    expect(leaks).toBe(0);
    expect(existsSync(join(agent.root, '.ferry-parts', `${r.body.id}.part`))).toBe(false);
  });

  it("B downloading over A's finished file by naming its path: refused", async () => {
    const before = readFileSync(join(agent.root, 'alice/done.bin'));
    for (const path of [join(agent.root, 'alice/done.bin'), '../alice/done.bin']) {
      const r = await apiAs(B, agent.socket, 'POST', '/v1/transfers', { url: origin.url('/payload.bin'), path });
      const leaks = Number(!readFileSync(join(agent.root, 'alice/done.bin')).equals(before));
      matrix.push({ attack: `B: download over A's file (${path.startsWith('/') ? 'absolute' : 'relative ..'})`, answer: answer(r), leaks });
      expect([r.status, r.body.error.code]).toEqual([400, 'PATH_OUTSIDE_ROOT']);
      expect(leaks).toBe(0);
    }
  });

  it("B planting a file in A's 0700 folder: refused, nothing created", async () => {
    const r = await apiAs(B, agent.socket, 'POST', '/v1/transfers', { url: origin.url('/payload.bin'), path: join(agent.root, 'alice/private/planted.bin') });
    const leaks = Number(!aFolderUnchanged());
    matrix.push({ attack: "B: plant a file in A's 0700 folder", answer: answer(r), leaks });
    expect([r.status, r.body.error.code]).toEqual([400, 'PATH_OUTSIDE_ROOT']);
    expect(leaks).toBe(0);
  });

  it("B uploading A's 0600 file to B's origin, by path and through a symlink: refused, the origin gets nothing", async () => {
    const byPath = await apiAs(B, agent.socket, 'POST', '/v1/transfers', { url: origin.url('/b-sink/1'), method: 'PUT', path: join(agent.root, 'alice/private/secret.txt') });
    matrix.push({ attack: "B: upload A's 0600 file by path", answer: answer(byPath), leaks: 0 });
    expect([byPath.status, byPath.body.error.code]).toEqual([400, 'PATH_OUTSIDE_ROOT']);
    expect((await shellAs(B, `ln -s ${agent.root}/alice/private/secret.txt ${agent.root}/bob/a-secret`)).code).toBe(0);
    const viaLink = await apiAs(B, agent.socket, 'POST', '/v1/transfers', { url: origin.url('/b-sink/2'), method: 'PUT', path: 'a-secret' });
    matrix.push({ attack: "B: upload A's 0600 file via symlink in B's folder", answer: answer(viaLink), leaks: 0 });
    expect([viaLink.status, viaLink.body.error.code]).toEqual([400, 'PATH_OUTSIDE_ROOT']);
    // A link that stays inside B's folder is not followed either.
    expect((await shellAs(B, `printf b > ${agent.root}/bob/own.txt && ln -s own.txt ${agent.root}/bob/own-link`)).code).toBe(0);
    const inner = await apiAs(B, agent.socket, 'POST', '/v1/transfers', { url: origin.url('/b-sink/5'), method: 'PUT', path: 'own-link' });
    expect([inner.status, inner.body.error.code]).toEqual([400, 'PATH_SYMLINK']);
    // A hard link needs the kernel's consent (fs.protected_hardlinks); if it gives it, the mode check refuses.
    const hard = await shellAs(B, `ln ${agent.root}/alice/private/secret.txt ${agent.root}/bob/a-hard`);
    if (hard.code === 0) {
      const viaHard = await apiAs(B, agent.socket, 'POST', '/v1/transfers', { url: origin.url('/b-sink/3'), method: 'PUT', path: 'a-hard' });
      matrix.push({ attack: "B: upload A's 0600 file via hard link", answer: answer(viaHard), leaks: 0 });
      expect([viaHard.status, viaHard.body.error.code]).toEqual([403, 'FORBIDDEN']);
    } else {
      matrix.push({ attack: "B: upload A's 0600 file via hard link", answer: 'kernel refused the link', leaks: 0 });
    }
    // A file in B's own folder that B may not read (the operator's, 0600): ferry reads only what B could.
    writeFileSync(join(agent.root, 'bob/operator.key'), 'operator secret', { mode: 0o600 });
    const notReadable = await apiAs(B, agent.socket, 'POST', '/v1/transfers', { url: origin.url('/b-sink/4'), method: 'PUT', path: 'operator.key' });
    matrix.push({ attack: "B: upload a root 0600 file inside B's folder", answer: answer(notReadable), leaks: 0 });
    expect([notReadable.status, notReadable.body.error.code]).toEqual([403, 'FORBIDDEN']);
    await new Promise((r) => setTimeout(r, 300));
    const received = sink().length;
    matrix[matrix.length - 1]!.leaks = received;
    expect(received).toBe(0);
  });

  it('A uploads its own 0600 file; a second download to one path answers 409 PATH_BUSY', async () => {
    expect((await shellAs(A, `printf 'mine' > ${agent.root}/alice/mine.txt && chmod 600 ${agent.root}/alice/mine.txt`)).code).toBe(0);
    const up = origin.sink('/a-sink');
    const r = await apiAs(A, agent.socket, 'POST', '/v1/transfers', { url: origin.url('/a-sink'), method: 'PUT', path: 'mine.txt' });
    expect(r.status).toBe(201);
    await agent.waitTransfer(r.body.id, (t) => t.state === 'completed');
    expect(up.bodies.map((b) => b.toString())).toEqual(['mine']);
    origin.file('/busy.bin', randomBytes(256 * 1024), { throttleBytesPerSec: 64 * 1024 });
    const one = await apiAs(A, agent.socket, 'POST', '/v1/transfers', { url: origin.url('/busy.bin'), path: 'busy.bin' });
    const two = await apiAs(A, agent.socket, 'POST', '/v1/transfers', { url: origin.url('/busy.bin'), path: 'busy.bin' });
    expect(one.status).toBe(201);
    expect([two.status, two.body.error.code]).toEqual([409, 'PATH_BUSY']);
    await apiAs(A, agent.socket, 'DELETE', `/v1/transfers/${one.body.id}`);
    await waitFor(() => !existsSync(join(agent.root, '.ferry-parts', `${one.body.id}.part`)), 5000, 'part file removed');
  });
});

describe.skipIf(!ok)('ferryd as an unprivileged ferry-like user', () => {
  let agent: AgentProcess;

  beforeAll(async () => {
    agent = agentFor();
    for (const p of [agent.root, join(agent.dir.path, 'state')]) {
      mkdirSync(p, { recursive: true });
      chownSync(p, users[D]!.uid, users[D]!.gid);
    }
    chownSync(agent.dir.path, users[D]!.uid, users[D]!.gid);
    await agent.start({}, { runAs: D });
  });
  afterAll(async () => {
    await agent.stop();
  });

  it("serves A, and refuses B's reach into A's folder, ferry's parts and ferry's database", async () => {
    origin.file('/u.bin', randomBytes(2048));
    const r = await apiAs(A, agent.socket, 'POST', '/v1/transfers', { url: origin.url('/u.bin'), path: 'x.bin' });
    expect(r.status).toBe(201);
    await agent.waitTransfer(r.body.id, (t) => t.state === 'completed');
    expect(statSync(join(agent.root, 'alice')).uid).toBe(users[D]!.uid);
    const attempts: Array<[string, unknown]> = [
      ["B: download over A's file (unprivileged ferryd)", { url: origin.url('/payload.bin'), path: join(agent.root, 'alice/x.bin') }],
      ["B: write into ferry's part folder", { url: origin.url('/payload.bin'), path: join(agent.root, '.ferry-parts/x.part') }],
      ["B: upload ferry's database", { url: origin.url('/b-sink/db'), method: 'PUT', path: join(agent.dir.path, 'state/ferry.db') }],
      ["B: upload ferry's database via ..", { url: origin.url('/b-sink/db2'), method: 'PUT', path: '../../state/ferry.db' }],
    ];
    const before = readFileSync(join(agent.root, 'alice/x.bin'));
    for (const [attack, body] of attempts) {
      const res = await apiAs(B, agent.socket, 'POST', '/v1/transfers', body);
      matrix.push({ attack, answer: answer(res), leaks: Number(res.status < 400) });
      expect(res.status).toBe(400);
    }
    expect(readFileSync(join(agent.root, 'alice/x.bin')).equals(before)).toBe(true);
    expect(origin.log.filter((e) => e.path.startsWith('/b-sink/db'))).toHaveLength(0);
  });
});

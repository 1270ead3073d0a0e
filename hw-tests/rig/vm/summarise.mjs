// Reads what the guest left in OUT (vitest.json and the package lifecycle's vitest-package.json,
// package-install.txt, ferry-mem.json, security.txt; the power-cut suite's powercut-report.json) and prints the
// rig's verdict; the last line is always `rig: N passed, M failed`. Exit 1 if M > 0 or nothing ran.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [out, qemuTimeFile] = process.argv.slice(2);
const read = (f) => (existsSync(join(out, f)) ? readFileSync(join(out, f), 'utf8') : null);
let passed = 0;
let failed = 0;
const reports = ['vitest.json', 'vitest-package.json'].map(read).filter((r) => r !== null);
// The power-cut suite (vm/powercut.mjs) runs on the host; each of its checks counts as a test.
const powercut = read('powercut-report.json');
if (reports.length === 0 && powercut === null) console.log('rig: no test report came back from the guest (see console.log in the run folder)');
if (powercut !== null) {
  for (const c of JSON.parse(powercut).checks) {
    if (c.ok) passed += 1;
    else {
      failed += 1;
      console.log(`FAIL power cut > ${c.name}\n     ${c.detail}`);
    }
  }
}
for (const report of reports) {
  const r = JSON.parse(report);
  passed += r.numPassedTests ?? 0;
  failed += r.numFailedTests ?? 0;
  for (const file of r.testResults ?? []) {
    const name = file.name.replace(/^.*?hw-tests\//, 'hw-tests/');
    // A file that fails to load has no test results of its own, only a message.
    if (file.status === 'failed' && (file.assertionResults ?? []).every((a) => a.status !== 'failed')) {
      failed += 1;
      console.log(`FAIL ${name}: ${String(file.message ?? '').split('\n')[0]}`);
    }
    for (const a of file.assertionResults ?? []) {
      const title = [...(a.ancestorTitles ?? []), a.title].join(' > ');
      if (a.status === 'failed') console.log(`FAIL ${name} > ${title}\n     ${String(a.failureMessages?.[0] ?? '').split('\n')[0]}`);
      else if (a.status === 'skipped' || a.status === 'pending' || a.status === 'todo') console.log(`skip ${name} > ${title}`);
    }
  }
}
const mem = read('ferry-mem.json');
if (mem) {
  const m = JSON.parse(mem);
  console.log(`rig: ferry RSS in the guest ${(m.ferryRssKb / 1024).toFixed(1)} MB (peak ${(m.ferryHwmKb / 1024).toFixed(1)} MB)`);
}
if (qemuTimeFile && existsSync(qemuTimeFile)) {
  const [kb, wall] = readFileSync(qemuTimeFile, 'utf8').trim().split('\n').pop().split(' ');
  console.log(`rig: QEMU max RSS ${(Number(kb) / 1024).toFixed(0)} MB, VM wall ${wall} s`);
}
const install = read('package-install.txt');
if (install) {
  const f = Object.fromEntries(install.trim().split(' ').map((kv) => kv.split('=')));
  console.log(`rig: package ${f.version || '?'} installed by apt-get in ${f.seconds} s (exit ${f.rc})`);
}
const sec = read('security.txt');
if (sec) console.log(`rig: systemd-analyze security: ${sec.trim().split('\n').pop().replace(/^→\s*/, '')}`);
console.log(`rig: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed + failed === 0 ? 1 : 0);

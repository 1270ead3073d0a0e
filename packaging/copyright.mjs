// Writes the package's machine-readable debian/copyright (DEP-5) to stdout: ferry itself under
// Apache-2.0, then one paragraph per bundled npm package from its package.json (license, author),
// pointing at the license file it keeps under /usr/lib/ferry. Packages whose package.json names no
// license are listed in KNOWN after reading their license file.
// Usage: node copyright.mjs STAGED_LIB_DIR YEAR < module-paths
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const [lib, year] = process.argv.slice(2);
const KNOWN = { jsbi: 'Apache-2.0', 'map-stream': 'MIT' };
// Debian's spelling of the SPDX-ish strings some package.json files use.
const SPELLING = { 'MIT/X11': 'Expat', MIT: 'Expat', Apache2: 'Apache-2.0' };

function licenseOf(pkg, name) {
  let l = pkg.license ?? pkg.licenses ?? KNOWN[name];
  if (l && typeof l === 'object' && !Array.isArray(l)) l = l.type;
  if (Array.isArray(l)) l = l.map((x) => (typeof x === 'string' ? x : x.type)).join(' or ');
  if (!l) throw new Error(`copyright: ${name} names no license; read its license file and add it to KNOWN`);
  return String(l).replace(/[()]/g, '').split(/\s+(or|OR|and|AND)\s+|,/).filter((x) => x && !/^(or|and)$/i.test(x))
    .map((x) => SPELLING[x.trim()] ?? x.trim()).join(' or ');
}

function authorOf(pkg, name) {
  const a = pkg.author;
  const who = typeof a === 'string' ? a : a?.name;
  return who ? who.replace(/\s*<[^>]*>/, '').replace(/\s*\([^)]*\)/, '') : `the ${name} authors`;
}

const out = [
  'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/',
  'Upstream-Name: ferry',
  'Comment: ferry bundles the npm packages it runs on under /usr/lib/ferry/node_modules; each',
  ' keeps its own license file there, which the paragraphs below point to.',
  '',
  'Files: *',
  `Copyright: ${year} the ferry authors`,
  'License: Apache-2.0',
  '',
];
const modules = readFileSync(0, 'utf8').split('\n').filter(Boolean);
for (const m of modules) {
  const dir = join(lib, m);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const name = pkg.name ?? m.replace(/^.*node_modules\//, '');
  const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)/i.test(f));
  out.push(`Files: ${m}/*`, `Copyright: ${authorOf(pkg, name)}`, `License: ${licenseOf(pkg, name)}`);
  out.push(file ? ` The full text is in /usr/lib/ferry/${m}/${file}.` : ` The full text is in the license file of its parent package.`);
  out.push('');
}
out.push(
  'License: Apache-2.0',
  ' Licensed under the Apache License, Version 2.0 (the "License"); you may not use',
  ' this file except in compliance with the License.',
  ' .',
  ' On Debian systems, the complete text of the Apache License, Version 2.0 can be',
  ' found in "/usr/share/common-licenses/Apache-2.0".',
);
process.stdout.write(`${out.join('\n')}\n`);

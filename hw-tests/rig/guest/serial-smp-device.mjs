// An SMP device on the gadget side of the rig's CDC-ACM link (/dev/ttyGS0): speaks SMP's serial
// framing (lines of base64, first 06 09 then 04 14, body = length BE16 + packet + CRC-16/XMODEM)
// the way Zephyr's smp_svr does over USB CDC-ACM. Usage: serial-smp-device.mjs /dev/ttyGS0
import { openSync, createReadStream, writeSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createSmpResponder } from './smp-responder.mjs';

const path = process.argv[2] ?? '/dev/ttyGS0';
const MAX_LINE = 127;
execFileSync('stty', ['-F', path, 'raw', '-echo']);
const fd = openSync(path, 'r+');
const handle = createSmpResponder({ log: (l) => console.log(l) });

function crc16(buf) {
  let c = 0;
  for (const b of buf) {
    c ^= b << 8;
    for (let i = 0; i < 8; i++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
  }
  return c;
}

function sendFrame(packet) {
  const crc = Buffer.alloc(2);
  crc.writeUInt16BE(crc16(packet));
  const len = Buffer.alloc(2);
  len.writeUInt16BE(packet.length + 2);
  const b64 = Buffer.concat([len, packet, crc]).toString('base64');
  // Each line: 2 marker bytes + base64 + '\n' within MAX_LINE; base64 chunks stay multiples of 4.
  const room = Math.floor((MAX_LINE - 3) / 4) * 4;
  for (let at = 0; at < b64.length; at += room) {
    const marker = at === 0 ? Buffer.from([0x06, 0x09]) : Buffer.from([0x04, 0x14]);
    writeSync(fd, Buffer.concat([marker, Buffer.from(b64.slice(at, at + room)), Buffer.from('\n')]));
  }
}

let line = Buffer.alloc(0);
let body = '';
createReadStream(null, { fd, autoClose: false }).on('data', (chunk) => {
  line = Buffer.concat([line, chunk]);
  for (let nl = line.indexOf(0x0a); nl >= 0; nl = line.indexOf(0x0a)) {
    const l = line.subarray(0, nl);
    line = line.subarray(nl + 1);
    if (l[0] === 0x06 && l[1] === 0x09) body = l.subarray(2).toString();
    else if (l[0] === 0x04 && l[1] === 0x14) body += l.subarray(2).toString();
    else continue; // console noise between frames, as on a real board
    const raw = Buffer.from(body, 'base64');
    if (raw.length < 2 || raw.length - 2 < raw.readUInt16BE(0)) continue; // more lines to come
    const frame = raw.subarray(2, 2 + raw.readUInt16BE(0));
    body = '';
    if (frame.length < 2 || crc16(frame) !== 0) { console.log('dropped a frame with a bad CRC'); continue; }
    const res = handle(frame.subarray(0, frame.length - 2));
    if (res) sendFrame(res);
  }
});
console.log(`serial SMP device on ${path}`);

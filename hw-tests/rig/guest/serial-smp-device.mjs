// An SMP device on the gadget side of the rig's CDC-ACM link (/dev/ttyGS0): speaks SMP's serial
// framing (smp-serial-framing.mjs) the way Zephyr's smp_svr does over USB CDC-ACM, with a file system
// and image slots (smp-fs-image-device.mjs). Unplugged (gadget unbound from its UDC) and plugged back,
// it starts a new session on a freshly opened tty, as a device that lost power would.
// Usage: serial-smp-device.mjs /dev/ttyGS0 STATE_DIR [GADGET_UDC_FILE]
import { closeSync, constants, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createSmpDevice } from './smp-fs-image-device.mjs';
import { createFrameDecoder, encodeFrame } from './smp-serial-framing.mjs';

const [path = '/dev/ttyGS0', stateDir = '/run/ferry-rig/serial-smp', udcFile] = process.argv.slice(2);
const device = createSmpDevice({ stateDir, log: (l) => console.log(l) });
const buf = Buffer.alloc(4096);
let session = null;

function open() {
  let fd;
  try {
    // Non-blocking reads polled from the event loop: a blocking tty read in the thread pool cannot be
    // abandoned, and a hung-up tty shows as a 0-byte read here.
    fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK | constants.O_NOCTTY);
    execFileSync('stty', ['-F', path, 'raw', '-echo']);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    console.log(`open ${path}: ${e.code ?? e.message}; trying again`);
    return setTimeout(open, 500);
  }
  const s = { fd, live: true, out: [] };
  s.feed = createFrameDecoder(
    (packet) => void device.handle(packet).then((res) => res && s.live && send(s, encodeFrame(res))),
    () => console.log('dropped a frame with a bad CRC'),
  );
  session = s;
  console.log(`serial SMP device on ${path}, state in ${stateDir}`);
  poll(s);
}

function send(s, bytes) {
  s.out.push(bytes);
  if (s.out.length === 1) flush(s);
}

function flush(s) {
  while (s.live && s.out.length > 0) {
    const head = s.out[0];
    try {
      const n = writeSync(s.fd, head);
      if (n < head.length) s.out[0] = head.subarray(n);
      else s.out.shift();
    } catch (e) {
      if (e.code === 'EAGAIN') return void setTimeout(() => flush(s), 10);
      console.log(`write ${path}: ${e.code}`);
      s.out = [];
    }
  }
}

function reopen(s, why) {
  if (!s.live) return;
  s.live = false;
  try {
    closeSync(s.fd);
  } catch {
    // gone with the hangup
  }
  console.log(`${path}: ${why}; reopening`);
  setTimeout(open, 300);
}

function poll(s) {
  if (!s.live) return;
  for (;;) {
    let n;
    try {
      n = readSync(s.fd, buf, 0, buf.length, null);
    } catch (e) {
      if (e.code === 'EAGAIN') break;
      return reopen(s, `read: ${e.code}`);
    }
    if (n === 0) return reopen(s, 'hung up');
    s.feed(Buffer.from(buf.subarray(0, n)));
  }
  setTimeout(() => poll(s), 15);
}

// Replug: the gadget bound to its UDC again. Whatever the old tty did across the unbind, the device
// "boots" into a new session.
if (udcFile) {
  let bound = readFileSync(udcFile, 'utf8').trim() !== '';
  setInterval(() => {
    const now = readFileSync(udcFile, 'utf8').trim() !== '';
    if (now && !bound && session) reopen(session, 'gadget bound again');
    if (now !== bound) console.log(`gadget ${now ? 'bound' : 'unbound'}`);
    bound = now;
  }, 250);
}
open();

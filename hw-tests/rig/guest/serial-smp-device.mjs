// An SMP device on the gadget side of the rig's CDC-ACM link (/dev/ttyGS0): speaks SMP's serial
// framing (smp-serial-framing.mjs) the way Zephyr's smp_svr does over USB CDC-ACM.
// Usage: serial-smp-device.mjs /dev/ttyGS0
import { openSync, createReadStream, writeSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createSmpResponder } from './smp-responder.mjs';
import { createFrameDecoder, encodeFrame } from './smp-serial-framing.mjs';

const path = process.argv[2] ?? '/dev/ttyGS0';
execFileSync('stty', ['-F', path, 'raw', '-echo']);
const fd = openSync(path, 'r+');
const handle = createSmpResponder({ log: (l) => console.log(l) });
const feed = createFrameDecoder(
  (packet) => {
    const res = handle(packet);
    if (res) writeSync(fd, encodeFrame(res));
  },
  () => console.log('dropped a frame with a bad CRC'),
);
createReadStream(null, { fd, autoClose: false }).on('data', feed);
console.log(`serial SMP device on ${path}`);

// A vendor-class USB device in user space (FunctionFS): one interface, bulk OUT + bulk IN, each bulk
// transfer one raw SMP packet. Writes the descriptors, touches READY_FILE (the gadget may then bind
// to its UDC) and serves SMP with a file system and image slots (smp-fs-image-device.mjs).
// Usage: ffs-smp-device.mjs /dev/ffs-smp READY_FILE [STATE_DIR]
import { openSync, writeSync, read, write, writeFileSync } from 'node:fs';
import { createSmpDevice } from './smp-fs-image-device.mjs';

const [dir = '/dev/ffs-smp', readyFile, stateDir = '/run/ferry-rig/usb-smp'] = process.argv.slice(2);
const device = createSmpDevice({ stateDir, log: (l) => console.log(l) });

// include/uapi/linux/usb/functionfs.h: DESCRIPTORS_MAGIC_V2 = 3, STRINGS_MAGIC = 2, HAS_FS|HAS_HS = 3.
function descriptors() {
  const intf = Buffer.from([9, 4, 0, 0, 2, 0xff, 0, 0, 1]); // vendor class, two endpoints, iInterface 1
  const ep = (addr, maxPacket) => { const b = Buffer.from([7, 5, addr, 2, 0, 0, 0]); b.writeUInt16LE(maxPacket, 4); return b; };
  const fs = Buffer.concat([intf, ep(0x01, 64), ep(0x82, 64)]);
  const hs = Buffer.concat([intf, ep(0x01, 512), ep(0x82, 512)]);
  const head = Buffer.alloc(20);
  head.writeUInt32LE(3, 0);
  head.writeUInt32LE(20 + fs.length + hs.length, 4);
  head.writeUInt32LE(3, 8);
  head.writeUInt32LE(3, 12); // fs descriptor count
  head.writeUInt32LE(3, 16); // hs descriptor count
  return Buffer.concat([head, fs, hs]);
}
function strings() {
  const s = Buffer.from('SMP bulk\0');
  const head = Buffer.alloc(18);
  head.writeUInt32LE(2, 0);
  head.writeUInt32LE(18 + s.length, 4);
  head.writeUInt32LE(1, 8); // str_count
  head.writeUInt32LE(1, 12); // lang_count
  head.writeUInt16LE(0x0409, 16);
  return Buffer.concat([head, s]);
}

const ep0 = openSync(`${dir}/ep0`, 'r+');
writeSync(ep0, descriptors());
writeSync(ep0, strings());
const epOut = openSync(`${dir}/ep1`, 'r');
const epIn = openSync(`${dir}/ep2`, 'w');
if (readyFile) writeFileSync(readyFile, `${process.pid}\n`);
console.log(`FunctionFS SMP device on ${dir}`);

// ep0 events (12 bytes: setup packet, type, pad); ENABLE = 2, DISABLE = 3. Reading them keeps
// FunctionFS's event queue from filling up; bulk I/O simply blocks until the host side is enabled.
const ev = Buffer.alloc(12 * 4);
(function events() {
  read(ep0, ev, 0, ev.length, null, (err, n) => {
    if (err) { console.log(`ep0: ${err.code}`); return setTimeout(events, 500); }
    for (let i = 0; i + 12 <= n; i += 12) console.log(`ep0 event ${['BIND', 'UNBIND', 'ENABLE', 'DISABLE', 'SETUP', 'SUSPEND', 'RESUME'][ev[i + 8]] ?? ev[i + 8]}`);
    events();
  });
})();

const buf = Buffer.alloc(4096);
(function serve() {
  read(epOut, buf, 0, buf.length, null, (err, n) => {
    // ESHUTDOWN while the host side is not configured: wait and try again.
    if (err) return setTimeout(serve, 200);
    void device.handle(Buffer.from(buf.subarray(0, n))).then((res) => {
      if (!res) return serve();
      write(epIn, res, (werr) => {
        if (werr) console.log(`ep2: ${werr.code}`);
        serve();
      });
    });
  });
})();

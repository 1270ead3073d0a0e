// The power-cut suite's SMP device: the rig's stateful simulator (smp-fs-image-device.mjs: file
// system from STATE_DIR/fs, delay knob, request log) answering one SMP packet per UDP datagram on the
// guest's loopback, the way Zephyr's smp_svr does over UDP. No USB gadget, tty or udev in the way, so
// the device is back as soon as this process is, on every boot.
// Usage: powercut-udp-device.mjs PORT STATE_DIR
import { createSocket } from 'node:dgram';
import { createSmpDevice } from './smp-fs-image-device.mjs';

const [port = '1337', stateDir = '/run/ferry-rig/udp-smp'] = process.argv.slice(2);
const device = createSmpDevice({ stateDir, log: (l) => console.log(l) });
const sock = createSocket('udp4');
sock.on('message', (packet, from) => {
  void device.handle(packet).then((res) => res && sock.send(res, from.port, from.address));
});
sock.bind(Number(port), '127.0.0.1', () => console.log(`UDP SMP device on 127.0.0.1:${port}, state in ${stateDir}`));

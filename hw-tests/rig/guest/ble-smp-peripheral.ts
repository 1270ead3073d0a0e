// The rig's BLE SMP device, like Zephyr's smp_svr with overlay-bt: the SMP GATT service on its own
// controller (btvirt's hci1, HCI user channel), forwarding SMP packets to the project's device
// simulator. Writes are rejoined by the SMP header's length; answers go out as mtu − 3 byte notifications.
// Usage (cwd: a tree with node_modules): node --import tsx ble-smp-peripheral.ts HCI_INDEX READY_FILE
// Env: RIG_BLE_NAME, RIG_BLE_FILE (path on the device), RIG_BLE_FILE_SIZE, RIG_BLE_DELAY_MS (per SMP
// request, so a pull can be caught mid-flight), RIG_BLE_AWAY_MS. SIGUSR1 drops the link and keeps the
// device silent for RIG_BLE_AWAY_MS (a board walking out of range), then it advertises again.
import { writeFileSync } from 'node:fs';
import { SmpDeviceSim } from '../../../test/support/smp-sim/smp-device-sim.js';
import { startPeripheral } from './ble-hci-peripheral.js';

const SMP_SERVICE = '8D53DC1D-1DB7-4CD3-868B-8A527460AA84';
const SMP_CHARACTERISTIC = 'DA2E7828-FBCE-4E01-AE9E-261174997C48';
const devId = Number(process.argv[2] ?? 1);
const ready = process.argv[3];
const env = (k: string, d: string) => process.env[k] || d;
const log = (l: string) => console.log(l);

/** The file the tests pull; ble.test.ts recomputes the same bytes on its own to check the hash. */
function rigBleFileBytes(size: number): Uint8Array {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + (i >> 8) * 7 + 0x5a) & 0xff;
  return b;
}

const sim = new SmpDeviceSim({ delayMs: Number(env('RIG_BLE_DELAY_MS', '0')) });
sim.files.set(env('RIG_BLE_FILE', '/lfs/rig-ble.bin'), rigBleFileBytes(Number(env('RIG_BLE_FILE_SIZE', String(32 * 1024)))));

let buf = Buffer.alloc(0);
let chain: Promise<void> = Promise.resolve();
const peripheral = await startPeripheral({
  devId,
  name: env('RIG_BLE_NAME', 'ferry-rig-smp'),
  serviceUuid: SMP_SERVICE,
  characteristicUuid: SMP_CHARACTERISTIC,
  log,
  onConnect: () => {
    buf = Buffer.alloc(0);
  },
  onWrite: (data) => {
    buf = Buffer.concat([buf, data]);
    // SMP header: op, flags, length BE16, group BE16, seq, id; the body follows.
    while (buf.length >= 8 && buf.length >= 8 + buf.readUInt16BE(2)) {
      const packet = buf.subarray(0, 8 + buf.readUInt16BE(2));
      buf = buf.subarray(packet.length);
      // Answers keep the order of requests even when the simulator is slow.
      chain = chain.then(async () => {
        for (const rsp of await sim.handle(packet)) {
          const size = peripheral.mtu - 3;
          for (let off = 0; off < rsp.length; off += size) peripheral.notify(Buffer.from(rsp.subarray(off, off + size)));
        }
      });
    }
  },
});

process.on('SIGUSR1', () => void peripheral.drop(Number(env('RIG_BLE_AWAY_MS', '6000'))));
process.on('SIGTERM', () => {
  peripheral.close();
  process.exit(0);
});
if (ready) writeFileSync(ready, 'ok\n');

// Loads every bundled module that carries a native addon from a staged /usr/lib/ferry (argument),
// with the Node that runs this: a trimmed file or an addon built for another ABI fails here, at
// build time, instead of on a gateway. Touches no hardware.
import { createRequire } from 'node:module';
import { join } from 'node:path';

const lib = process.argv[2];
const require = createRequire(join(lib, 'package.json'));
const Database = require('better-sqlite3');
const db = new Database(':memory:');
if (db.prepare('select 41 + 1 as n').get().n !== 42) throw new Error('better-sqlite3 answered wrong');
db.close();
const { autoDetect } = require('@serialport/bindings-cpp');
if (typeof autoDetect().open !== 'function') throw new Error('serialport binding has no open');
// usb 3.x: ferry loads its napi-rs binding (usb/index.js) directly, as drivers/usb/load-usb.ts does.
const usb = require('usb/index.js');
if (typeof usb.nativeGetDevices !== 'function') throw new Error('usb/index.js has no nativeGetDevices');
const hci = require('@abandonware/bluetooth-hci-socket');
if (typeof hci !== 'function') throw new Error('bluetooth-hci-socket exports no class');
require('@abandonware/noble/with-custom-binding');
for (const m of ['pino', 'mqtt', 'dbus-next', 'cbor2', '@sinclair/typebox', 'serialport']) await import(require.resolve(m));
const native = await import(join(lib, 'dist/src/system/native.js'));
if (Object.keys(native).length === 0) throw new Error('ferry_native facade exports nothing');
console.log(`smoke: modules load on node ${process.version}`);

// A minimal BLE peripheral driven straight over an HCI user channel (the kernel and bluetoothd keep
// out of the controller): advertises a name and one 128-bit service, and serves a fixed GATT table of
// one characteristic (write-without-response + notify, with its CCCD) to one central at a time.
// Written for the rig's btvirt controller, apart from noble, so ferry's BLE client is checked against
// an independent ATT server.
import BluetoothHciSocket from '@abandonware/bluetooth-hci-socket';

export interface PeripheralOptions {
  devId: number;
  name: string;
  serviceUuid: string;
  characteristicUuid: string;
  /** Our ATT MTU (Zephyr's smp_svr with overlay-bt uses 252 / 498; 252 here). */
  mtu?: number;
  onWrite(data: Buffer): void;
  onConnect?(peer: string): void;
  onDisconnect?(reason: number): void;
  log(line: string): void;
}

export interface Peripheral {
  /** Negotiated ATT MTU of the current link (23 until the central asks for more). */
  readonly mtu: number;
  readonly connected: boolean;
  /** Sends one notification (at most mtu − 3 bytes); false when no central listens. */
  notify(value: Buffer): boolean;
  /** Drops the link (HCI Disconnect, "remote user terminated") and stays silent for awayMs. */
  drop(awayMs: number): Promise<void>;
  close(): void;
}

const ATT_CID = 4;
const H = { SERVICE: 1, DECL: 2, VALUE: 3, CCCD: 4 } as const;
const ERR = { INVALID_HANDLE: 0x01, REQ_NOT_SUPP: 0x06, NOT_FOUND: 0x0a } as const;

/** "8D53DC1D-…" → 16 bytes little-endian, as ATT carries 128-bit UUIDs. */
function uuid128(u: string): Buffer {
  return Buffer.from(u.replace(/-/g, ''), 'hex').reverse();
}
const u16 = (n: number) => Buffer.from([n & 0xff, n >> 8]);

export async function startPeripheral(o: PeripheralOptions): Promise<Peripheral> {
  const sock = new BluetoothHciSocket();
  const svc = uuid128(o.serviceUuid);
  const chr = uuid128(o.characteristicUuid);
  const ourMtu = o.mtu ?? 252;
  let handle: number | null = null;
  let mtu = 23;
  let notifying = false;
  let advertisingWanted = true;
  let aclLen = 27;
  let aclFree = 1;
  let aclTotal = 1;
  const aclQueue: Buffer[] = [];
  let rx: { data: Buffer; want: number } | null = null;
  const pending: { opcode: number; resolve: (b: Buffer) => void }[] = [];

  const cmd = (ogf: number, ocf: number, params: Buffer = Buffer.alloc(0)): Promise<Buffer> => {
    const opcode = (ogf << 10) | ocf;
    const p = new Promise<Buffer>((resolve) => pending.push({ opcode, resolve }));
    sock.write(Buffer.concat([Buffer.from([0x01, opcode & 0xff, opcode >> 8, params.length]), params]));
    return p;
  };
  const answered = (opcode: number, ret: Buffer) => {
    const i = pending.findIndex((x) => x.opcode === opcode);
    if (i >= 0) pending.splice(i, 1)[0]!.resolve(ret);
  };

  // ACL out: L2CAP frames cut to the controller's buffer size, sent as its buffers come free.
  const pump = () => {
    while (aclFree > 0 && aclQueue.length > 0) {
      aclFree--;
      sock.write(aclQueue.shift()!);
    }
  };
  const sendAtt = (pdu: Buffer) => {
    if (handle === null) return;
    const l2 = Buffer.concat([u16(pdu.length), u16(ATT_CID), pdu]);
    for (let off = 0; off < l2.length; off += aclLen) {
      const part = l2.subarray(off, off + aclLen);
      const flags = off === 0 ? 0x0000 : 0x1000; // PB: first non-flushable / continuing
      aclQueue.push(Buffer.concat([Buffer.from([0x02]), u16(handle | flags), u16(part.length), part]));
    }
    pump();
  };
  const error = (req: number, h: number, code: number) => sendAtt(Buffer.from([0x01, req, h & 0xff, h >> 8, code]));

  const advertise = async (on: boolean) => {
    await cmd(0x08, 0x000a, Buffer.from([on ? 1 : 0]));
  };

  function onAtt(pdu: Buffer): void {
    const op = pdu[0]!;
    switch (op) {
      case 0x02: {
        // Exchange MTU: the link's MTU is the smaller of the two.
        mtu = Math.max(23, Math.min(ourMtu, pdu.readUInt16LE(1)));
        o.log(`ATT MTU ${mtu} (central asked ${pdu.readUInt16LE(1)})`);
        sendAtt(Buffer.concat([Buffer.from([0x03]), u16(ourMtu)]));
        return;
      }
      case 0x10: {
        // Read By Group Type: primary services (0x2800).
        const start = pdu.readUInt16LE(1);
        const type = pdu.length === 7 ? pdu.readUInt16LE(5) : -1;
        if (type !== 0x2800 || start > H.SERVICE) return error(op, start, ERR.NOT_FOUND);
        sendAtt(Buffer.concat([Buffer.from([0x11, 20]), u16(H.SERVICE), u16(H.CCCD), svc]));
        return;
      }
      case 0x08: {
        // Read By Type: characteristic declarations (0x2803) or the CCCD (0x2902, noble's subscribe).
        const start = pdu.readUInt16LE(1);
        const end = pdu.readUInt16LE(3);
        const type = pdu.length === 7 ? pdu.readUInt16LE(5) : -1;
        if (type === 0x2803 && start <= H.DECL && end >= H.DECL) {
          sendAtt(Buffer.concat([Buffer.from([0x09, 21]), u16(H.DECL), Buffer.from([0x04 | 0x10]), u16(H.VALUE), chr]));
        } else if (type === 0x2902 && start <= H.CCCD && end >= H.CCCD) {
          sendAtt(Buffer.concat([Buffer.from([0x09, 4]), u16(H.CCCD), u16(notifying ? 1 : 0)]));
        } else {
          error(op, start, ERR.NOT_FOUND);
        }
        return;
      }
      case 0x04: {
        // Find Information: only the CCCD has a 16-bit type worth listing after the value.
        const start = pdu.readUInt16LE(1);
        const end = pdu.readUInt16LE(3);
        if (start <= H.CCCD && end >= H.CCCD) sendAtt(Buffer.concat([Buffer.from([0x05, 0x01]), u16(H.CCCD), u16(0x2902)]));
        else error(op, start, ERR.NOT_FOUND);
        return;
      }
      case 0x0a: {
        const h = pdu.readUInt16LE(1);
        if (h === H.CCCD) sendAtt(Buffer.concat([Buffer.from([0x0b]), u16(notifying ? 1 : 0)]));
        else error(op, h, ERR.REQ_NOT_SUPP);
        return;
      }
      case 0x12: {
        const h = pdu.readUInt16LE(1);
        if (h !== H.CCCD) return error(op, h, ERR.REQ_NOT_SUPP);
        notifying = (pdu.readUInt16LE(3) & 1) === 1;
        o.log(`notifications ${notifying ? 'on' : 'off'}`);
        sendAtt(Buffer.from([0x13]));
        return;
      }
      case 0x52: {
        if (pdu.readUInt16LE(1) === H.VALUE) o.onWrite(pdu.subarray(3));
        return;
      }
      default:
        // Commands (bit 6) and confirmations get no answer; any other request is not supported.
        if ((op & 0x40) === 0 && op !== 0x1e && (op & 1) === 0) error(op, 0, ERR.REQ_NOT_SUPP);
    }
  }

  function onAcl(data: Buffer): void {
    const hf = data.readUInt16LE(1);
    const pb = (hf >> 12) & 0x3;
    const body = data.subarray(5, 5 + data.readUInt16LE(3));
    if (pb === 0x1) {
      if (!rx) return;
      rx.data = Buffer.concat([rx.data, body]);
    } else {
      rx = { data: body, want: body.readUInt16LE(0) + 4 };
    }
    if (rx.data.length < rx.want) return;
    const frame = rx.data;
    rx = null;
    if (frame.readUInt16LE(2) === ATT_CID) onAtt(frame.subarray(4, frame.readUInt16LE(0) + 4));
  }

  function onEvent(data: Buffer): void {
    const evt = data[1]!;
    const p = data.subarray(3, 3 + data[2]!);
    if (evt === 0x0e) answered(p.readUInt16LE(1), p.subarray(4)); // after num packets, opcode, status
    else if (evt === 0x0f) answered(p.readUInt16LE(2), Buffer.from([p[0]!]));
    else if (evt === 0x13) {
      // Num_Handles, then all handles, then all counts.
      for (let i = 0; i < p[0]!; i++) aclFree += p.readUInt16LE(1 + p[0]! * 2 + i * 2);
      pump();
    } else if (evt === 0x05) {
      o.log(`disconnected (reason 0x${p[3]!.toString(16)})`);
      handle = null;
      notifying = false;
      mtu = 23;
      rx = null;
      aclQueue.length = 0;
      aclFree = aclTotal; // a closed link's packets no longer hold controller buffers
      o.onDisconnect?.(p[3]!);
      if (advertisingWanted) void advertise(true);
    } else if (evt === 0x3e && (p[0] === 0x01 || p[0] === 0x0a) && p[1] === 0) {
      handle = p.readUInt16LE(2) & 0x0fff;
      const peer = [...p.subarray(6, 12)].reverse().map((b) => b.toString(16).padStart(2, '0')).join(':');
      o.log(`connected: ${peer} (handle ${handle})`);
      o.onConnect?.(peer);
    }
  }

  sock.on('data', (data: Buffer) => {
    if (data[0] === 0x04) onEvent(data);
    else if (data[0] === 0x02) onAcl(data);
  });
  sock.on('error', (e: Error) => o.log(`HCI socket error: ${e.message}`));
  sock.bindUser(o.devId);
  sock.start();

  await cmd(0x03, 0x0003); // Reset
  // Event mask: the defaults plus LE Meta (bit 61), which the default mask leaves out.
  await cmd(0x03, 0x0001, Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, 0x00, 0x20]));
  await cmd(0x08, 0x0001, Buffer.from([0x1f, 0, 0, 0, 0, 0, 0, 0]));
  const le = await cmd(0x08, 0x0002);
  if (le.readUInt16LE(0) > 0) {
    aclLen = le.readUInt16LE(0);
    aclFree = le[2]!;
  } else {
    const br = await cmd(0x04, 0x0005);
    aclLen = br.readUInt16LE(0);
    aclFree = br.readUInt16LE(3);
  }
  const name = Buffer.from(o.name);
  // Like Zephyr's smp_svr: flags + the service UUID in the advertisement, the name in the scan response.
  const adv = Buffer.concat([Buffer.from([2, 0x01, 0x06, 17, 0x07]), svc]);
  if (name.length > 29) throw new Error(`name "${o.name}" does not fit a scan response`);
  // 100 ms connectable undirected advertising from the public address, all three channels.
  await cmd(0x08, 0x0006, Buffer.from([0xa0, 0, 0xa0, 0, 0x00, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0x07, 0x00]));
  await cmd(0x08, 0x0008, Buffer.concat([Buffer.from([adv.length]), adv, Buffer.alloc(31 - adv.length)]));
  // noble scans actively and reports a device only once its scan response arrived.
  const rsp = Buffer.concat([Buffer.from([name.length + 1, 0x09]), name]);
  await cmd(0x08, 0x0009, Buffer.concat([Buffer.from([rsp.length]), rsp, Buffer.alloc(31 - rsp.length)]));
  await advertise(true);
  aclTotal = aclFree;
  o.log(`advertising "${o.name}" on hci${o.devId} (ACL ${aclLen} bytes x ${aclFree})`);

  return {
    get mtu() {
      return mtu;
    },
    get connected() {
      return handle !== null;
    },
    notify(value: Buffer): boolean {
      if (handle === null || !notifying) return false;
      sendAtt(Buffer.concat([Buffer.from([0x1b]), u16(H.VALUE), value]));
      return true;
    },
    async drop(awayMs: number): Promise<void> {
      advertisingWanted = false;
      await advertise(false);
      if (handle !== null) await cmd(0x01, 0x0006, Buffer.concat([u16(handle), Buffer.from([0x13])]));
      o.log(`dropped the link; silent for ${awayMs} ms`);
      setTimeout(() => {
        advertisingWanted = true;
        if (handle === null) void advertise(true);
        o.log('advertising again');
      }, awayMs);
    },
    close() {
      sock.stop();
    },
  };
}

// SMP's serial framing (Zephyr's "SMP over console/UART"): each line is 06 09 (first) or 04 14
// (continuation) + base64 + '\n', at most 127 bytes; the decoded body is length BE16 + packet +
// CRC-16/XMODEM of the packet. Used by the rig's serial device and its link self-check.
const MAX_LINE = 127;

export function crc16(buf) {
  let c = 0;
  for (const b of buf) {
    c ^= b << 8;
    for (let i = 0; i < 8; i++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
  }
  return c;
}

/** One SMP packet -> the lines to write. */
export function encodeFrame(packet) {
  const crc = Buffer.alloc(2);
  crc.writeUInt16BE(crc16(packet));
  const len = Buffer.alloc(2);
  len.writeUInt16BE(packet.length + 2);
  const b64 = Buffer.concat([len, packet, crc]).toString('base64');
  const room = Math.floor((MAX_LINE - 3) / 4) * 4;
  const lines = [];
  for (let at = 0; at < b64.length; at += room) {
    const marker = at === 0 ? Buffer.from([0x06, 0x09]) : Buffer.from([0x04, 0x14]);
    lines.push(Buffer.concat([marker, Buffer.from(b64.slice(at, at + room)), Buffer.from('\n')]));
  }
  return Buffer.concat(lines);
}

/** Feed raw bytes; `onPacket(packet)` gets each whole frame whose CRC checks (console noise is skipped). */
export function createFrameDecoder(onPacket, onBadCrc = () => {}) {
  let line = Buffer.alloc(0);
  let body = '';
  return function feed(chunk) {
    line = Buffer.concat([line, chunk]);
    for (let nl = line.indexOf(0x0a); nl >= 0; nl = line.indexOf(0x0a)) {
      const l = line.subarray(0, nl);
      line = line.subarray(nl + 1);
      if (l[0] === 0x06 && l[1] === 0x09) body = l.subarray(2).toString();
      else if (l[0] === 0x04 && l[1] === 0x14) body += l.subarray(2).toString();
      else continue;
      const raw = Buffer.from(body, 'base64');
      if (raw.length < 2 || raw.length - 2 < raw.readUInt16BE(0)) continue;
      const frame = raw.subarray(2, 2 + raw.readUInt16BE(0));
      body = '';
      if (frame.length < 2 || crc16(frame) !== 0) { onBadCrc(); continue; }
      onPacket(frame.subarray(0, frame.length - 2));
    }
  };
}

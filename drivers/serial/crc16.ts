// CRC-16/XMODEM (poly 0x1021, init 0, no reflection), the checksum of SMP's serial framing.
// Running it over data followed by its big-endian CRC yields 0, which is how frames are checked.

const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 8;
    for (let b = 0; b < 8; b++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
    t[i] = c;
  }
  return t;
})();

export function crc16Xmodem(data: Uint8Array, crc = 0): number {
  let c = crc & 0xffff;
  for (let i = 0; i < data.length; i++) c = ((c << 8) & 0xffff) ^ TABLE[((c >> 8) ^ data[i]!) & 0xff]!;
  return c;
}

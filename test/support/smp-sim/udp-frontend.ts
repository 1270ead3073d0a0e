// Runs a simulator behind a real UDP socket on loopback, one SMP packet per datagram, like a
// Zephyr device's SMP UDP server (normally port 1337; tests use an ephemeral port).
import { createSocket } from 'node:dgram';
import type { SmpDeviceSim } from './smp-device-sim.js';

export interface UdpFrontend {
  port: number;
  close(): Promise<void>;
}

export async function attachUdp(sim: SmpDeviceSim, port = 0, host = '127.0.0.1'): Promise<UdpFrontend> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  socket.on('message', (msg, rinfo) => {
    void sim.handle(new Uint8Array(msg)).then((rsps) => {
      for (const r of rsps) {
        try {
          socket.send(r, rinfo.port, rinfo.address);
        } catch {
          // socket closed while the simulator was answering
        }
      }
    });
  });
  return {
    port: socket.address().port,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

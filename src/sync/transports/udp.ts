// UDP transport provider: one SMP packet per datagram to host:port. UDP has no link and no presence
// signal: a device is presumed present and a request's timeout is the probe.
import { UdpTransport } from '../../../drivers/udp/udp-transport.js';
import { ConnectSpecError, type TransportProvider } from './transport-provider.js';

export const udpProvider: TransportProvider<'udp'> = {
  kind: 'udp',
  afterLoss: 'present',
  connectSyntax: 'udp:HOST[:PORT]',

  validate: (t) => (!t.host ? 'a udp transport needs "host"' : null),

  describe: (t) => `udp:${t.host ?? '?'}:${t.port}`,

  async open(d, hw) {
    const t = d.transport;
    return new UdpTransport(hw.createUdpSocket, { host: t.host ?? '', port: t.port, ...(t.mtu ? { mtu: t.mtu } : {}) });
  },

  async watch(devices, sink) {
    for (const d of devices) sink.arrived(d.id);
    return { stop: () => undefined };
  },

  parseConnect(rest) {
    const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest) ?? /^([^:]+)(?::(\d+))?$/.exec(rest);
    if (!m) throw new ConnectSpecError('udp needs HOST[:PORT], e.g. udp:192.0.2.7:1337 or udp:[2001:db8::7]:1337');
    return { kind: 'udp', host: m[1], ...(m[2] ? { port: Number(m[2]) } : {}) };
  },
};

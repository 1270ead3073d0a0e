// MQTT over TLS on a TCP socket of our own: MQTT.js's TLS builder keeps its TCP socket to itself, and a
// TLSSocket counts plaintext, while a metered link pays for TLS records and handshakes. Verification is
// Node's (rejectUnauthorized, SNI for host names), as in MQTT.js.
import net from 'node:net';
import tls from 'node:tls';
import type { MqttClient } from 'mqtt';
import type { FleetSecrets } from './fleet-config.js';

export function tlsStreamBuilder(url: URL, secrets: FleetSecrets, onWire: (tcp: net.Socket) => void) {
  return (client: MqttClient): tls.TLSSocket => {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const tcp = net.connect({ host, port: Number(url.port || 8883) });
    onWire(tcp);
    const s = tls.connect({
      socket: tcp,
      host,
      ...(net.isIP(host) === 0 ? { servername: host } : {}),
      rejectUnauthorized: true,
      ...(secrets.ca ? { ca: secrets.ca } : {}),
      ...(secrets.cert ? { cert: secrets.cert } : {}),
      ...(secrets.key ? { key: secrets.key } : {}),
    });
    s.on('error', (e) => {
      client.emit('error', e);
      s.destroy();
      tcp.destroy();
    });
    return s;
  };
}

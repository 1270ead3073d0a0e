// `ferryctl smp --connect SPEC`: parses serial:PATH[,baud=N,line=N] | udp:HOST[:PORT] | ble:ADDRESS |
// usb:VID:PID[:SERIAL] into a device transport config (with the config's defaults), so the bench tool
// reaches a device exactly the way the agent would.
import { Value } from '@sinclair/typebox/value';
import { UsageError } from '../args.js';
import { DeviceEntry, type DeviceConfig, type DeviceTransportConfig } from '../../config/sections/devices.js';

const HEX4 = /^[0-9a-fA-F]{4}$/;

export function parseConnectSpec(spec: string): Record<string, unknown> {
  const colon = spec.indexOf(':');
  const kind = colon < 0 ? spec : spec.slice(0, colon);
  const rest = colon < 0 ? '' : spec.slice(colon + 1);
  const bad = (why: string) => new UsageError(`--connect ${spec}: ${why}`, 'smp');
  switch (kind) {
    case 'serial': {
      const [path, ...opts] = rest.split(',');
      if (!path) throw bad('serial needs a path, e.g. serial:/dev/ttyACM0');
      const t: Record<string, unknown> = { kind, path };
      for (const o of opts) {
        const [k, v] = o.split('=');
        const n = Number(v);
        if (!Number.isInteger(n) || n <= 0) throw bad(`${k} needs a positive integer`);
        if (k === 'baud') t.baud = n;
        else if (k === 'line') t.lineLength = n;
        else if (k === 'mtu') t.mtu = n;
        else throw bad(`unknown serial option ${k} (baud, line, mtu)`);
      }
      return t;
    }
    case 'udp': {
      const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest) ?? /^([^:]+)(?::(\d+))?$/.exec(rest);
      if (!m) throw bad('udp needs HOST[:PORT], e.g. udp:192.0.2.7:1337 or udp:[2001:db8::7]:1337');
      return { kind, host: m[1], ...(m[2] ? { port: Number(m[2]) } : {}) };
    }
    case 'ble':
      if (!rest) throw bad('ble needs an address, e.g. ble:AA:BB:CC:DD:EE:FF');
      return { kind, address: rest };
    case 'usb': {
      const [vid, pid, serial] = rest.split(':');
      if (!vid || !HEX4.test(vid) || (pid !== undefined && !HEX4.test(pid))) throw bad('usb needs VID:PID[:SERIAL] in hex, e.g. usb:2fe3:0100');
      return { kind, vid, ...(pid ? { pid } : {}), ...(serial ? { serial } : {}) };
    }
    default:
      throw bad('the kind must be serial, udp, ble or usb');
  }
}

/** A full device config (defaults filled) around a transport, for the sync module's transport factory. */
export function benchDevice(transport: Record<string, unknown> | DeviceTransportConfig, timeoutMs?: number): DeviceConfig {
  const raw = { id: 'ferryctl', transport: { ...transport }, ...(timeoutMs ? { smp: { timeoutMs } } : {}) };
  const d = Value.Default(DeviceEntry, raw) as DeviceConfig;
  if (!Value.Check(DeviceEntry, d)) {
    const first = [...Value.Errors(DeviceEntry, d)][0];
    throw new UsageError(`invalid transport: ${first ? `${first.path} ${first.message}` : 'unknown problem'}`, 'smp');
  }
  return d;
}

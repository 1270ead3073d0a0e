// `ferryctl smp --connect SPEC`: parses KIND:REST (each transport provider reads its own REST) into a
// device transport config (with the config's defaults), so the bench tool reaches a device exactly the
// way the agent would.
import { Value } from '@sinclair/typebox/value';
import { UsageError } from '../args.js';
import { ConnectSpecError } from '../../sync/transports/transport-provider.js';
import { TRANSPORT_PROVIDERS } from '../../sync/transports/providers.js';
import { DeviceEntry, type DeviceConfig, type DeviceTransportConfig } from '../../config/sections/devices.js';

/** The transport config fields of a --connect spec, read by the provider of its kind. */
export function parseConnectSpec(spec: string): Record<string, unknown> {
  const colon = spec.indexOf(':');
  const kind = colon < 0 ? spec : spec.slice(0, colon);
  const rest = colon < 0 ? '' : spec.slice(colon + 1);
  const provider = Object.values(TRANSPORT_PROVIDERS).find((p) => p.kind === kind);
  if (!provider) throw new UsageError(`--connect ${spec}: the kind must be ${Object.keys(TRANSPORT_PROVIDERS).join(', ')}`, 'smp');
  try {
    return provider.parseConnect(rest);
  } catch (e) {
    if (e instanceof ConnectSpecError) throw new UsageError(`--connect ${spec}: ${e.message}`, 'smp');
    throw e;
  }
}

/** The --connect syntax of every transport kind, for the help text. */
export function connectSyntax(): string {
  return Object.values(TRANSPORT_PROVIDERS).map((p) => p.connectSyntax).join(' | ');
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

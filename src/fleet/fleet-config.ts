// What `fleet.mqtt` means beyond its schema: the gateway id (the hostname unless set), the topics it
// implies, and the credential files, which must be readable. Used by --check-config and at start.
import { accessSync, constants, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { FLEET_ID_PATTERN, type FleetMqttConfig } from '../config/sections/fleet.js';

const ID = new RegExp(FLEET_ID_PATTERN);
const FILE_KEYS = ['passwordFile', 'caFile', 'certFile', 'keyFile'] as const;

export interface FleetIdentity {
  gatewayId: string;
  prefix: string;
  groups: string[];
}

export function fleetIdentity(cfg: FleetMqttConfig, host: () => string = hostname): FleetIdentity {
  return { gatewayId: cfg.gatewayId ?? host(), prefix: cfg.topicPrefix, groups: cfg.groups };
}

/** Problems the schema cannot see, as [config path, message] pairs; empty when the section is usable. */
export function fleetProblems(cfg: FleetMqttConfig, host: () => string = hostname): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const id = fleetIdentity(cfg, host);
  if (!ID.test(id.gatewayId)) {
    out.push(['fleet.mqtt.gatewayId', `gateway id ${JSON.stringify(id.gatewayId)} (the hostname) is not [A-Za-z0-9._-]{1,64}; set gatewayId`]);
  }
  if (new Set(cfg.groups).size !== cfg.groups.length) out.push(['fleet.mqtt.groups', 'a group is listed twice']);
  if (id.prefix.split('/').some((level) => level === '')) out.push(['fleet.mqtt.topicPrefix', 'empty topic level']);
  for (const k of FILE_KEYS) {
    const f = cfg[k];
    if (!f) continue;
    try {
      accessSync(f, constants.R_OK);
    } catch (e) {
      out.push([`fleet.mqtt.${k}`, `cannot read ${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`]);
    }
  }
  if (!!cfg.certFile !== !!cfg.keyFile) out.push(['fleet.mqtt.certFile', 'certFile and keyFile go together']);
  if (cfg.reconnectMaxS < cfg.reconnectMinS) out.push(['fleet.mqtt.reconnectMaxS', 'must be at least reconnectMinS']);
  if (cfg.passwordFile && !cfg.username) out.push(['fleet.mqtt.username', 'a passwordFile needs a username']);
  return out;
}

export interface FleetSecrets {
  password?: Buffer;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/** Reads the credential files (at each connect, so a rotated certificate is picked up without a restart). */
export function readSecrets(cfg: FleetMqttConfig): FleetSecrets {
  const read = (f: string | undefined) => (f ? readFileSync(f) : undefined);
  const pw = read(cfg.passwordFile);
  return {
    ...(pw ? { password: Buffer.from(pw.toString('utf8').replace(/\r?\n$/, ''), 'utf8') } : {}),
    ...(cfg.caFile ? { ca: read(cfg.caFile) } : {}),
    ...(cfg.certFile ? { cert: read(cfg.certFile) } : {}),
    ...(cfg.keyFile ? { key: read(cfg.keyFile) } : {}),
  };
}

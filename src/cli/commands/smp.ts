// `ferryctl smp`: an mcumgr-style bench tool that talks SMP to one device directly — no agent needed
// with --connect, or the transport of a configured device with --device (asked from the agent).
// Exit status: 0 ok, 1 the device answered an error, 2 usage, 3 the device could not be reached.
import type { Transport } from '../../../drivers/transport.js';
import { exitCodeFor } from '../../errors.js';
import { deviceError } from '../../sync/device-errors.js';
import { SmpClient } from '../../sync/smp/smp-client.js';
import { systemHardware } from '../../sync/device-hardware.js';
import { createSmpTransport } from '../../sync/device-transports.js';
import type { DeviceTransportConfig } from '../../config/sections/devices.js';
import { UsageError, choiceOption, stringOption } from '../args.js';
import type { Command, CommandContext } from './command.js';
import { EXIT, printJson } from './command.js';
import { benchDevice, connectSyntax, parseConnectSpec } from './smp-connect.js';
import { runSmpOp } from './smp-ops.js';

const OPERATIONS = [
  'echo TEXT',
  'params',
  'reset',
  'fs get REMOTE LOCAL',
  'fs put LOCAL REMOTE',
  'fs hash REMOTE [--type sha256|crc32]',
  'image list',
  'image upload FILE',
  'image test HASH',
  'image confirm [HASH]',
];

export const smpCommand: Command = {
  name: 'smp',
  summary: 'talk MCUmgr/SMP to a device directly (bench tool; no config needed with --connect)',
  args: '(--device ID | --connect SPEC) OPERATION [ARGS]',
  options: {
    device: { type: 'string', value: 'ID', help: "a device configured in the agent (its transport is asked from the agent)" },
    connect: { type: 'string', value: 'SPEC', help: connectSyntax() },
    type: { type: 'string', value: 'T', help: 'hash type for fs hash/get/put: sha256 or crc32' },
    timeout: { type: 'string', value: 'MS', help: 'wait this long for each answer (default 5000)' },
  },
  details: ['operations:', ...OPERATIONS.map((o) => `  ${o}`), '', 'exit status: 0 ok, 1 the device answered an error, 2 usage error, 3 the device could not be reached'],
  positionals: { min: 1, max: 4 },
  async run(ctx) {
    const hashType = choiceOption(ctx.values, 'type', ['sha256', 'crc32'], 'smp') as 'sha256' | 'crc32' | undefined;
    const timeoutRaw = stringOption(ctx.values, 'timeout');
    const timeoutMs = timeoutRaw === undefined ? undefined : Number(timeoutRaw);
    if (timeoutMs !== undefined && (!Number.isInteger(timeoutMs) || timeoutMs < 10)) throw new UsageError('--timeout needs milliseconds (≥ 10)', 'smp');
    const transportConfig = await pickTransport(ctx);
    const device = benchDevice(transportConfig, timeoutMs);
    const signal = ctx.io.signal ?? new AbortController().signal;
    let transport: Transport | undefined;
    try {
      transport = await createSmpTransport(device, systemHardware());
      await transport.open();
      const client = new SmpClient(transport, { timeoutMs: device.smp.timeoutMs, retries: device.smp.retries });
      const r = await runSmpOp({ client, args: ctx.positionals, hashType, signal, cwd: process.cwd() });
      if (ctx.json) printJson(ctx.io, r.json);
      else ctx.io.stdout.write(r.text + '\n');
      return EXIT.OK;
    } catch (e) {
      if (e instanceof UsageError) throw e;
      return reportDeviceError(ctx, e);
    } finally {
      await transport?.close().catch(() => undefined);
    }
  },
};

async function pickTransport(ctx: CommandContext): Promise<Record<string, unknown> | DeviceTransportConfig> {
  const id = stringOption(ctx.values, 'device');
  const spec = stringOption(ctx.values, 'connect');
  if ((id === undefined) === (spec === undefined)) throw new UsageError('give exactly one of --device ID or --connect SPEC', 'smp');
  if (spec !== undefined) return parseConnectSpec(spec);
  const { devices } = await ctx.client.json<{ devices: Array<{ id: string; protocol: string; transportConfig: DeviceTransportConfig }> }>('GET', '/v1/devices');
  const d = devices.find((x) => x.id === id);
  if (!d) throw new UsageError(`the agent has no device ${id} (see ferryctl devices)`, 'smp');
  if (d.protocol !== 'smp') throw new UsageError(`device ${id} speaks ${d.protocol}, not smp`, 'smp');
  return d.transportConfig;
}

function reportDeviceError(ctx: CommandContext, e: unknown): number {
  const err = deviceError(e);
  if (ctx.json) printJson(ctx.io, { error: { code: err.code, message: err.message } });
  else ctx.io.stderr.write(`error ${err.code}: ${err.message}\n`);
  return exitCodeFor(err.code);
}

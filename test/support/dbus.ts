// A private D-Bus for tests: its own dbus-daemon (config file in a temp dir) with python-dbusmock servers
// playing NetworkManager, UPower and ModemManager, and knobs to change what they say. stop() ends every
// process it started and removes the temp dir; a process 'exit' hook kills leftovers if a test forgot.
//
//   const pb = await startPrivateBus();                       // beforeAll
//   const nm = await NetworkManagerMock.start(pb, { primary: 'wifi' });
//   const mm = await ModemManagerMock.start(pb, [{ netPort: 'wwan0', accessTech: '4g' }]);
//   const up = await UPowerMock.start(pb, { onBattery: false });
//   const bus = await pb.connect();                           // give this to createLiveConditions({ bus, … })
//   await nm.setPrimary('cellular'); await mm.setRoaming(true); await up.setOnBattery(true);
//   await nm.stop(); await nm.start();                        // NameOwnerChanged out and back in
//   await pb.stop();                                          // afterAll: mocks, daemon, temp dir
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dbus from 'dbus-next';
import type { MessageBus } from 'dbus-next';
import { callMethod } from '../../src/conditions/dbus-call.js';
import { waitFor } from './wait.js';
import { MOCK_IFACE, PROPS_TEMPLATE } from './dbusmock/mock-calls.js';

/** Debian's interpreter: the python3 first on PATH may lack the dbus module. */
export const DBUSMOCK_PYTHON = '/usr/bin/python3';

/** Why the real-bus tests cannot run here, or null when they can. */
export function dbusUnavailableReason(): string | null {
  if (spawnSync('dbus-daemon', ['--version']).status !== 0) return 'dbus-daemon is not installed';
  if (spawnSync(DBUSMOCK_PYTHON, ['-c', 'import dbusmock, dbus']).status !== 0) return `${DBUSMOCK_PYTHON} lacks dbusmock`;
  return null;
}

const BUS_CONFIG = (socket: string) => `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_type="method_return"/>
    <allow send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="signal"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
  </policy>
</busconfig>
`;

export interface MockProcess {
  readonly busName: string;
  readonly pid: number;
  stop(): Promise<void>;
}

export interface PrivateBus {
  /** Address to give a reader's bus, or to DBUS_SYSTEM_BUS_ADDRESS. */
  readonly address: string;
  readonly dir: string;
  /** A new dbus-next connection to this bus (disconnected by stop()). */
  connect(): Promise<MessageBus>;
  /**
   * Starts `python3 -m dbusmock` with a template name or file, waits until it owns busName, and loads
   * SetProps (dbusmock/props.py) into its main object at mainPath.
   */
  startMock(template: string, busName: string, mainPath: string, parameters?: Record<string, unknown>): Promise<MockProcess>;
  /** Calls a method on the bus from the helper's own connection. */
  call(destination: string, path: string, iface: string, member: string, signature?: string, body?: unknown[]): Promise<unknown[]>;
  hasOwner(name: string): Promise<boolean>;
  stop(): Promise<void>;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 2000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function connectTo(address: string): Promise<MessageBus> {
  const bus = dbus.sessionBus({ busAddress: address });
  await new Promise<void>((resolve, reject) => {
    bus.once('connect', () => resolve());
    bus.once('error', reject);
  });
  bus.on('error', () => undefined); // the daemon going away at teardown is expected
  return bus;
}

export async function startPrivateBus(): Promise<PrivateBus> {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-dbus-'));
  const configFile = join(dir, 'bus.conf');
  writeFileSync(configFile, BUS_CONFIG(join(dir, 'bus.sock')));
  const children = new Set<ChildProcess>();
  const onExit = () => {
    for (const c of children) c.kill('SIGKILL');
  };
  process.once('exit', onExit);

  const daemon = spawn('dbus-daemon', [`--config-file=${configFile}`, '--nofork', '--print-address=1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(daemon);
  const started = new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    daemon.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve(line.trim());
    });
    daemon.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    daemon.once('exit', (code) => reject(new Error(`dbus-daemon exited (${code}): ${err}`)));
  });
  let address: string;
  let control: MessageBus;
  try {
    address = await started;
    control = await connectTo(address);
  } catch (e) {
    onExit();
    process.removeListener('exit', onExit);
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const clients = new Set<MessageBus>();

  const api: PrivateBus = {
    address,
    dir,
    async connect() {
      const bus = await connectTo(address);
      clients.add(bus);
      return bus;
    },
    call(destination, path, iface, member, signature = '', body = []) {
      return callMethod(control, { destination, path, interface: iface, member, signature, body });
    },
    async hasOwner(name) {
      const [has] = await api.call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'NameHasOwner', 's', [name]);
      return has === true;
    },
    async startMock(template, busName, mainPath, parameters) {
      const log = join(dir, `${busName}.log`);
      const args = ['-m', 'dbusmock', '--system', '-t', template, '-l', log];
      if (parameters) args.push('-p', JSON.stringify(parameters));
      const child = spawn(DBUSMOCK_PYTHON, args, {
        env: { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: address, DBUS_SESSION_BUS_ADDRESS: address },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      children.add(child);
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      // FERRY_DEBUG_DBUS=1 shows why a mock went away (a Python traceback, usually).
      if (process.env.FERRY_DEBUG_DBUS) child.once('exit', (code, sig) => console.error(`[dbusmock ${busName}] exit ${code ?? sig}\n${stderr}`));
      await waitFor(
        async () => {
          if (child.exitCode !== null) throw new Error(`dbusmock ${template} exited: ${stderr}`);
          return api.hasOwner(busName);
        },
        15_000,
        `dbusmock ${template} to own ${busName}`,
      );
      await api.call(busName, mainPath, MOCK_IFACE, 'AddTemplate', 'sa{sv}', [PROPS_TEMPLATE, {}]);
      return {
        busName,
        pid: child.pid!,
        async stop() {
          await stopChild(child);
          children.delete(child);
          await waitFor(async () => !(await api.hasOwner(busName)), 5000, `${busName} to leave the bus`);
        },
      };
    },
    async stop() {
      for (const c of clients) c.disconnect();
      clients.clear();
      control.disconnect();
      for (const c of [...children].reverse()) await stopChild(c);
      children.clear();
      process.removeListener('exit', onExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return api;
}

/** Reads a mock's method-call log (for debugging a failing test). */
export function mockLog(bus: PrivateBus, busName: string): string {
  const file = join(bus.dir, `${busName}.log`);
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

export { updateProperties, addProperty, addObject, v } from './dbusmock/mock-calls.js';
export { NetworkManagerMock, type MeteredValue, type LinkKind } from './dbusmock/network-manager.js';
export { ModemManagerMock, ACCESS_TECH, MODEMMANAGER_TEMPLATE, type ModemSpec } from './dbusmock/modem-manager.js';
export { UPowerMock, type BatteryState } from './dbusmock/upower.js';

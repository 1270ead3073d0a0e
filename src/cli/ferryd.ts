#!/usr/bin/env node
// ferryd: parses its flags, loads the config (or the embedded defaults), starts the agent and
// turns signals into actions: SIGHUP reload, SIGTERM/SIGINT orderly stop within 10 s.
import { parseArgs } from 'node:util';
import { defaultConfig, loadConfigFile, validateConfig } from '../config/load.js';
import { readFileSync } from 'node:fs';
import { createLogger } from '../log.js';
import { startAgent, packageVersion } from '../main.js';
import { getPeerCred } from '../system/native.js';
import { deviceProblems } from '../sync/device-config.js';
import { createNotifier } from '../system/sd-notify.js';
import { startWatchdog } from '../system/watchdog.js';

const USAGE = `usage: ferryd [--config FILE] | --check-config FILE | --version`;

function checkConfig(file: string): number {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    process.stderr.write(`${file}: ${(e as Error).message}\n`);
    return 1;
  }
  const r = validateConfig(parsed);
  if (r.config) {
    // Rules across fields the schema cannot say (e.g. a serial device with neither a path nor a USB id).
    const problems = [...deviceProblems(r.config.devices)];
    for (const [id, why] of problems) {
      const at = r.config.devices.findIndex((d) => d.id === id);
      process.stderr.write(`${file}: devices[${at}]: ${why}\n`);
    }
    if (problems.length > 0) return 1;
    process.stdout.write(`${file}: valid\n`);
    return 0;
  }
  for (const i of r.issues) process.stderr.write(`${file}: ${i.path}: ${i.message}\n`);
  return 1;
}

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: { config: { type: 'string', short: 'c' }, 'check-config': { type: 'string' }, version: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }).values;
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (args.version) {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  if (args['check-config']) return checkConfig(args['check-config']);

  let config;
  try {
    config = args.config ? loadConfigFile(args.config) : defaultConfig();
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return 1;
  }
  const log = createLogger(config.log.level);
  const notify = createNotifier(undefined, (e) => log.warn({ err: e.message }, 'sd_notify failed'));
  const agent = await startAgent({
    config,
    configFile: args.config ?? null,
    log,
    peerUid: (s) => getPeerCred(s).uid,
  });
  const statusLine = () => {
    const c = agent.queue.countByState();
    return `${agent.queue.size} transfers: ${c.running ?? 0} running, ${(c.waiting ?? 0) + (c.queued ?? 0)} waiting, ${c.completed ?? 0} completed, ${c.failed ?? 0} failed`;
  };
  notify.ready();
  notify.status(statusLine());
  const statusTimer = setInterval(() => notify.status(statusLine()), 10_000);
  statusTimer.unref();
  const watchdog = startWatchdog({ notify, log });
  log.info({ version: packageVersion(), socket: agent.socketPath, config: args.config ?? '(embedded defaults)' }, 'ferryd ready');

  return await new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'stopping');
      notify.stopping();
      clearInterval(statusTimer);
      watchdog.stop();
      // systemd allows TimeoutStopSec; we promise 10 s and exit non-zero past it.
      const force = setTimeout(() => {
        log.error('stop took over 9 s; exiting');
        resolve(1);
      }, 9000);
      force.unref();
      agent
        .stop()
        .then(() => resolve(0))
        .catch((e: unknown) => {
          log.error({ err: (e as Error).message }, 'error while stopping');
          resolve(1);
        })
        .finally(() => clearTimeout(force));
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', () => {
      notify.reloading?.();
      agent.reload();
      notify.ready();
    });
  });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`ferryd: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(1);
  },
);

import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../support/tmp.js';
import { captureLog } from './log-capture.js';
import { defaultConfig } from '../../src/config/load.js';
import { createStaticConditions } from '../../src/conditions/static.js';
import type { ConditionsSource } from '../../src/conditions/snapshot.js';

describe('createStaticConditions', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let source: ConditionsSource | null = null;
  afterEach(async () => {
    await source?.close();
    tmp.cleanup();
  });

  it('serves the configured world with free space measured on the transfers root', () => {
    tmp = makeTempDir();
    const config = defaultConfig().conditions;
    config.static.network = { kind: 'cellular', interface: 'wwan0', generation: '3g', metered: true, roaming: true };
    config.static.power = { source: 'battery', batteryPercent: 30, charging: false };
    config.static.dataPlan.state = 'approaching';
    source = createStaticConditions(config, { transfersRoot: tmp.path, log: captureLog().log });
    const c = source.current();
    expect(c.network).toEqual({ kind: 'cellular', interface: 'wwan0', generation: '3g', metered: true, roaming: true });
    expect(c.power).toEqual({ source: 'battery', batteryPercent: 30, charging: false });
    expect(c.dataPlan).toEqual({ state: 'approaching', usedBytes: 0, limitBytes: null });
    expect(c.storage.freeBytes).toBeGreaterThan(0);
    expect(c.sources).toEqual({ network: 'config', power: 'config', dataPlan: 'config', storage: 'statvfs' });
  });

  it('defaults to wired external power with nothing configured', () => {
    tmp = makeTempDir();
    source = createStaticConditions(defaultConfig().conditions, { transfersRoot: tmp.path, log: captureLog().log });
    expect(source.current().network.kind).toBe('ethernet');
    expect(source.current().power.source).toBe('external');
  });
});

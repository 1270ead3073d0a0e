// Simulated OS (0), statistics (2) and shell (9) groups.
import type { SimHandler } from './smp-device-sim.js';
import { MGMT, SimFailure } from './sim-failure.js';

const OS = 0;
const STAT = 2;
const SHELL = 9;

export const systemHandlers: Record<string, SimHandler> = {
  [`${OS}:0:2`]: (_sim, req) => {
    if (typeof req.body.d !== 'string') throw SimFailure.mgmt(MGMT.EINVAL);
    return { r: req.body.d };
  },
  [`${OS}:5:2`]: (sim) => {
    // Zephyr answers first and reboots after a short delay; the answer still goes out.
    setImmediate(() => sim.reboot());
    return {};
  },
  [`${OS}:6:0`]: (sim) => {
    if (!sim.knobs.supportsParams) throw SimFailure.mgmt(MGMT.ENOTSUP);
    return { buf_size: sim.knobs.bufSize, buf_count: sim.knobs.bufCount };
  },
  [`${OS}:7:0`]: (_sim, req) => {
    const format = typeof req.body.format === 'string' ? req.body.format : 's';
    if (/[^asnrvbmpio]/.test(format)) throw new SimFailure(OS, 2, MGMT.EINVAL); // OS_MGMT_ERR_INVALID_FORMAT
    return { output: format.includes('a') ? 'Zephyr sim 3.7.0 smp-sim' : 'Zephyr' };
  },
  [`${STAT}:1:0`]: (sim) => ({ stat_list: [...sim.stats.keys()] }),
  [`${STAT}:0:0`]: (sim, req) => {
    const name = String(req.body.name ?? '');
    const fields = sim.stats.get(name);
    if (!fields) throw new SimFailure(STAT, 2, MGMT.ENOENT); // STAT_MGMT_ERR_INVALID_GROUP
    return { name, fields };
  },
  [`${SHELL}:0:2`]: (sim, req) => {
    const argv = Array.isArray(req.body.argv) ? req.body.argv.map(String) : [];
    if (argv.length === 0) throw new SimFailure(SHELL, 3, MGMT.EINVAL); // SHELL_MGMT_ERR_EMPTY_COMMAND
    const { output, ret } = sim.shell(argv);
    return { o: output, ret };
  },
};

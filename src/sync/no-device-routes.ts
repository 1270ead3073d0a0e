// The device routes of an agent with no devices configured and no device jobs queued: the device-sync
// machinery (SMP, CBOR, drivers) is then never loaded, which keeps an idle agent small. An operator still
// sees which serial ports exist, to write the config from.
import { FerryError } from '../errors.js';
import type { DeviceHardware } from './device-hardware.js';
import type { DeviceRoute } from './device-routes.js';
import { seenSerialPorts } from './device-view.js';

export function noDeviceRoutes(hw: DeviceHardware): DeviceRoute[] {
  return [
    { method: 'GET', path: '/v1/devices', handle: async () => ({ body: { devices: [], seen: await seenSerialPorts([], hw) } }) },
    {
      method: 'POST',
      path: '/v1/devices/:id/sync',
      body: true,
      handle: async ({ params }) => {
        throw new FerryError('DEVICE_NOT_FOUND', `no configured device ${params.id}`);
      },
    },
  ];
}

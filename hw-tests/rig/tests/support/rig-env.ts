// Where the hw tests find the hardware: environment variables set by the virtual rig's guest script
// or by the operator of a physical rig (hw-tests/README.md). Each `need*` returns null when the
// test can run, else the reason it is skipped, which the test prints.
import { existsSync } from 'node:fs';
import { describe } from 'vitest';

export interface RigEnv {
  /** Set by the virtual rig only: the rig may change the system (power supply, NM, units). */
  virtual: boolean;
  socket: string;
  unit: string | null;
  powerModule: string | null;
  nmConnection: string | null;
  serial: string | null;
  serialUsb: string | null;
  serialGadget: string | null;
  /** Ids of the devices in ferry's config (the ferry-side tests need them). */
  serialDevice: string | null;
  usbDevice: string | null;
  bleDevice: string | null;
  usb: string | null;
  bleAdapter: string | null;
  bleAddr: string | null;
  /** Virtual rig: the peripheral's unit (SIGUSR1 drops its link) and the file its simulator serves. */
  bleUnit: string | null;
  /** A file that exists once the peripheral advertises. */
  bleReady: string | null;
  bleFile: string | null;
  bleFileSize: number | null;
  out: string | null;
}

export function rigEnv(env: NodeJS.ProcessEnv = process.env): RigEnv {
  const v = (k: string) => (env[k] && env[k] !== '' ? env[k]! : null);
  return {
    virtual: env.FERRY_RIG === '1',
    socket: v('FERRY_SOCKET') ?? '/run/ferry/ferry.sock',
    unit: v('FERRY_HW_SYSTEMD_UNIT'),
    powerModule: v('FERRY_HW_POWER'),
    nmConnection: v('FERRY_HW_NM_CONNECTION'),
    serial: v('FERRY_HW_SERIAL'),
    serialUsb: v('FERRY_HW_SERIAL_USB'),
    serialGadget: v('FERRY_RIG_SERIAL_GADGET'),
    serialDevice: v('FERRY_HW_SERIAL_DEVICE'),
    usbDevice: v('FERRY_HW_USB_DEVICE'),
    bleDevice: v('FERRY_HW_BLE_DEVICE'),
    usb: v('FERRY_HW_USB'),
    bleAdapter: v('FERRY_HW_BLE_ADAPTER'),
    bleAddr: v('FERRY_HW_BLE_ADDR'),
    bleUnit: v('FERRY_RIG_BLE_UNIT'),
    bleReady: v('FERRY_RIG_BLE_READY'),
    bleFile: v('FERRY_RIG_BLE_FILE'),
    bleFileSize: v('FERRY_RIG_BLE_FILE_SIZE') === null ? null : Number(v('FERRY_RIG_BLE_FILE_SIZE')),
    out: v('FERRY_RIG_OUT'),
  };
}

/** First non-null reason wins; null means every requirement holds. */
export function firstReason(...reasons: (string | null)[]): string | null {
  return reasons.find((r) => r !== null) ?? null;
}

/** On the virtual rig ferry is always installed: a missing socket there fails the tests, not skips them. */
export function needSocket(e: RigEnv): string | null {
  if (e.virtual) return null;
  return existsSync(e.socket) ? null : `no ferry socket at ${e.socket} (set FERRY_SOCKET; is ferry running?)`;
}

export function needRoot(): string | null {
  return process.getuid?.() === 0 ? null : 'needs root (changes system state)';
}

/**
 * A describe block that runs when `reason` is null, else is skipped with the reason printed and
 * carried in its title, so reports (the rig's summary, vitest's JSON) say why it did not run.
 */
export function hwDescribe(title: string, reason: string | null, body: () => void): void {
  if (reason === null) {
    describe(title, body);
    return;
  }
  console.log(`[hw-tests] skipping "${title}": ${reason}`);
  describe.skip(`${title} [skipped: ${reason}]`, body);
}

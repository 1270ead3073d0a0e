// The part of @abandonware/noble the BLE driver uses. Production passes the real module (see
// load-noble.ts); tests pass test/support/ble-sim. Shapes follow noble 1.9 (index.d.ts).
export type AdapterState = 'unknown' | 'resetting' | 'unsupported' | 'unauthorized' | 'poweredOff' | 'poweredOn';

export interface CharacteristicLike {
  readonly uuid: string;
  writeAsync(data: Buffer, withoutResponse: boolean): Promise<void>;
  subscribeAsync(): Promise<void>;
  on(event: 'data', listener: (data: Buffer, isNotification: boolean) => void): unknown;
  removeListener(event: 'data', listener: (data: Buffer, isNotification: boolean) => void): unknown;
}

export interface PeripheralLike {
  /** noble: the address without colons on Linux; an opaque id on macOS. */
  readonly id: string;
  /** noble: lower-case "aa:bb:cc:dd:ee:ff" on Linux, "" or "unknown" where the OS hides it. */
  readonly address: string;
  readonly advertisement: { localName?: string; serviceUuids?: string[] };
  /** ATT MTU; null until the MTU exchange that follows a connection has completed. */
  readonly mtu: number | null;
  connectAsync(): Promise<void>;
  disconnectAsync(): Promise<void>;
  discoverSomeServicesAndCharacteristicsAsync(
    serviceUuids: string[],
    characteristicUuids: string[],
  ): Promise<{ characteristics: CharacteristicLike[] }>;
  on(event: 'disconnect', listener: (reason?: unknown) => void): unknown;
  removeListener(event: 'disconnect', listener: (reason?: unknown) => void): unknown;
}

export interface NobleLike {
  /** Reading it may initialise the HCI socket and throw (EAFNOSUPPORT, ENODEV, EPERM). */
  readonly state: string;
  on(event: 'stateChange', listener: (state: string) => void): unknown;
  on(event: 'discover', listener: (peripheral: PeripheralLike) => void): unknown;
  removeListener(event: 'stateChange', listener: (state: string) => void): unknown;
  removeListener(event: 'discover', listener: (peripheral: PeripheralLike) => void): unknown;
  startScanningAsync(serviceUuids?: string[], allowDuplicates?: boolean): Promise<void>;
  stopScanningAsync(): Promise<void>;
}

/** noble writes UUIDs lower-case without dashes; people write them with dashes. Compare in noble form. */
export function nobleUuid(uuid: string): string {
  return uuid.replace(/-/g, '').toLowerCase();
}

// OS management group (0): echo, reset, MCUmgr buffer parameters, OS/app info.
import type { RequestOptions, SmpRequester } from './smp-requester.js';
import { FerryError } from '../../errors.js';
import { SmpGroup } from './smp-errors.js';

export interface McumgrParams {
  /** Size of one SMP buffer on the device: bounds a whole request packet. */
  bufSize: number;
  bufCount: number;
}

const ID = { ECHO: 0, TASKSTAT: 2, DATETIME: 4, RESET: 5, PARAMS: 6, INFO: 7, BOOTLOADER_INFO: 8 } as const;

export class OsGroup {
  constructor(private readonly client: SmpRequester) {}

  async echo(text: string, opts?: RequestOptions): Promise<string> {
    const rsp = await this.client.request('write', SmpGroup.OS, ID.ECHO, { d: text }, opts);
    if (typeof rsp.r !== 'string') throw new FerryError('PROTOCOL_ERROR', 'echo answer lacks "r"');
    return rsp.r;
  }

  /** Asks the device to reboot; `force` overrides an application veto (Zephyr ≥ 3.4). */
  async reset(opts: RequestOptions & { force?: boolean } = {}): Promise<void> {
    await this.client.request('write', SmpGroup.OS, ID.RESET, opts.force ? { force: 1 } : {}, opts);
  }

  async params(opts?: RequestOptions): Promise<McumgrParams> {
    const rsp = await this.client.request('read', SmpGroup.OS, ID.PARAMS, {}, opts);
    const bufSize = Number(rsp.buf_size);
    const bufCount = Number(rsp.buf_count);
    if (!Number.isFinite(bufSize) || bufSize <= 0) throw new FerryError('PROTOCOL_ERROR', 'mcumgr params lack buf_size');
    return { bufSize, bufCount: Number.isFinite(bufCount) ? bufCount : 1 };
  }

  /** `uname`-like text; format letters as Zephyr's os info ("a" = all, "s" kernel name, …). */
  async info(format?: string, opts?: RequestOptions): Promise<string> {
    const rsp = await this.client.request('read', SmpGroup.OS, ID.INFO, format ? { format } : {}, opts);
    return String(rsp.output ?? '');
  }
}

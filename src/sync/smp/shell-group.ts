// Shell group (9): run one shell command line on the device and return its output and exit code.
import type { RequestOptions, SmpRequester } from './smp-requester.js';
import { SmpGroup } from './smp-errors.js';

export interface ShellResult {
  output: string;
  /** The command's own return code (`ret`); not an SMP error. */
  ret: number;
}

export class ShellGroup {
  constructor(private readonly client: SmpRequester) {}

  async exec(argv: string[], opts?: RequestOptions): Promise<ShellResult> {
    const rsp = await this.client.request('write', SmpGroup.SHELL, 0, { argv }, opts);
    return { output: String(rsp.o ?? ''), ret: Number(rsp.ret ?? 0) };
  }
}

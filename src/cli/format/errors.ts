// How ferryctl words failures on stderr: agent errors as `error CODE: message (field …)`,
// an unreachable agent with the socket path and the reason.
import type { AgentUnreachableError } from '../client.js';

export function formatAgentError(e: { code: string; message: string; field?: string | undefined }): string {
  return `error ${e.code}: ${e.message}${e.field ? ` (field ${e.field})` : ''}`;
}

export function formatUnreachable(e: Pick<AgentUnreachableError, 'socketPath' | 'reason'>): string {
  return `ferryctl: cannot reach ferryd at ${e.socketPath}: ${e.reason}`;
}

// Lets commands take the short ids that `ls` prints: the full id is tried first, and only on
// NOT_FOUND is the caller's list searched for a unique prefix (so a full id costs one request).
import { UsageError } from '../args.js';
import { AgentError, type FerryClient } from '../client.js';

export async function withTransferId<T>(client: FerryClient, id: string, command: string, fn: (id: string) => Promise<T>): Promise<T> {
  try {
    return await fn(id);
  } catch (e) {
    if (!(e instanceof AgentError) || e.status !== 404) throw e;
    const matches = (await client.listTransfers()).filter((t) => t.id.startsWith(id) && t.id !== id);
    if (matches.length === 0) throw e;
    if (matches.length > 1) {
      const ids = matches.map((t) => t.id).join(', ');
      throw new UsageError(`id '${id}' is ambiguous: it starts ${matches.length} transfers (${ids})`, command);
    }
    return fn(matches[0]!.id);
  }
}

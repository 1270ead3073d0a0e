// pino JSON logs on stdout (journald picks them up). Header values and URL credentials never reach a log line.
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

export function createLogger(level: string, dest?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'ferryd' },
      redact: { paths: ['headers.*', '*.headers.*', 'req.headers.*', 'authorization'], censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    dest,
  );
}

/** URL safe to log: user:password removed, query values hidden (they often carry tokens). */
export function redactUrl(raw: string): string {
  try {
    const u = new URL(raw);
    if (u.username || u.password) {
      u.username = '***';
      u.password = '';
    }
    for (const k of [...u.searchParams.keys()]) u.searchParams.set(k, '***');
    return u.toString();
  } catch {
    return '[invalid url]';
  }
}

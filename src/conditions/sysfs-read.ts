// Small sysfs file reads: a missing or unreadable attribute is null, never an exception, because
// sysfs attributes come and go with hardware and drivers.
import { readFile, readdir } from 'node:fs/promises';

export async function readAttr(path: string): Promise<string | null> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    return null;
  }
}

export async function readIntAttr(path: string): Promise<number | null> {
  const s = await readAttr(path);
  if (s === null || !/^-?\d+$/.test(s)) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : null;
}

/** Entries of a directory, or null when the directory itself is missing. */
export async function listDir(path: string): Promise<string[] | null> {
  try {
    return (await readdir(path)).sort();
  } catch {
    return null;
  }
}

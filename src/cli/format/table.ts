// Plain-text tables for ferryctl: columns padded to their widest cell, the last column left ragged
// so long reason sentences do not push trailing spaces onto every line.

export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [headers, ...rows];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all
    .map((r) =>
      headers
        .map((_, i) => (i === headers.length - 1 ? (r[i] ?? '') : (r[i] ?? '').padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

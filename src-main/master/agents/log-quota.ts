// Log quotas in bytes (issue 7 finding 7: counting lines let one run store about 160 MB). Pure.

export interface LogQuota {
  /** Bytes of log one run may store; later batches are dropped and the log says so once. */
  runBytes: number;
  /** Bytes one line may have; longer lines are cut to this. */
  lineBytes: number;
}

export const DEFAULT_LOG_QUOTA: LogQuota = { runBytes: 10 * 1024 * 1024, lineBytes: 16 * 1024 };

/** Cuts each line to `lineBytes` UTF-8 bytes (never inside a character) and counts the bytes to be stored. */
export function fitLines(lines: readonly string[], lineBytes: number): { lines: string[]; bytes: number } {
  let bytes = 0;
  const fitted = lines.map((line) => {
    let cut = line;
    if (Buffer.byteLength(cut) > lineBytes) {
      const buffer = Buffer.from(line).subarray(0, lineBytes);
      cut = buffer.subarray(0, wholeCharacters(buffer)).toString('utf8');
    }
    bytes += Buffer.byteLength(cut);
    return cut;
  });
  return { lines: fitted, bytes };
}

/** How many leading bytes of `buffer` form whole UTF-8 characters (a cut may split the last one). */
function wholeCharacters(buffer: Buffer): number {
  let start = buffer.length - 1;
  while (start > 0 && (buffer[start]! & 0xc0) === 0x80) start -= 1; // continuation bytes are 10xxxxxx
  const lead = buffer[start] ?? 0;
  const size = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return start + size > buffer.length ? start : buffer.length;
}

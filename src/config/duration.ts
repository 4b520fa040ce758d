const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  sec: 1000,
  second: 1000,
  seconds: 1000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
};

/** "1 minute", "30s", "250 ms" or a bare number of milliseconds → milliseconds; undefined if unreadable. */
export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d+)\s*([a-z]*)\s*$/i.exec(text);
  if (!match) return undefined;
  const factor = match[2] ? UNIT_MS[match[2].toLowerCase()] : 1;
  if (factor === undefined) return undefined;
  const ms = Number(match[1]) * factor;
  return ms > 0 && Number.isSafeInteger(ms) ? ms : undefined;
}

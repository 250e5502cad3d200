/** `2024-01-02T03:04:05Z`: the ISO form AWS uses in XML and IMDS documents (no milliseconds). */
export function isoSeconds(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** JSON 1.1 protocols send timestamps as epoch seconds (with a fraction). */
export function epochSeconds(date: Date): number {
  return date.getTime() / 1000;
}

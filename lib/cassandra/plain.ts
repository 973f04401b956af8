/**
 * Values as the driver returns them (Long, Date, Buffer, Map...) made plain, for text, JSON and
 * pages.
 */
/** A value as printed: what the driver returns, made plain for text and JSON output. */
export type Plain = string | number | boolean | null | Plain[] | { [key: string]: Plain };

/** Converts driver values (Long, Date, Buffer, Uuid, Map...) to plain JSON-able values. */
export function plain(value: unknown): Plain {
  if (value === null || value === undefined) return null;
  if (typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : String(value);
  if (typeof value === "bigint") return Number(value);
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) {
    return `0x${[...value].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
  }
  if (Array.isArray(value)) return value.map(plain);
  if (value instanceof Map) {
    return Object.fromEntries([...value].map(([k, v]) => [String(k), plain(v)]));
  }
  if (value instanceof Set) return [...value].map(plain);
  // Long from the driver: exact as a number within 2^53, else its decimal text.
  const maybeLong = value as { toNumber?: () => number; toString(): string; high?: number };
  if (typeof maybeLong.toNumber === "function" && typeof maybeLong.high === "number") {
    const number = maybeLong.toNumber();
    return Number.isSafeInteger(number) ? number : maybeLong.toString();
  }
  if (Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return String(value);
}

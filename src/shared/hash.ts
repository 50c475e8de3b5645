/**
 * FNV-1a, 32 bits, of a string's UTF-16 code units: a fast, stable hash for deterministic choices
 * that must not depend on order or process (fold assignment, which events a renderer samples).
 * Not cryptographic. Cost O(length).
 */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A uniform number in [0, 1) from the string's hash. */
export function unitHash(s: string): number {
  return fnv1a32(s) / 4294967296;
}

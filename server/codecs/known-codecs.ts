/** Codec ids a profile may name. Read from the codec registry so that adding a codec record is enough. */
export function knownCodecIds(): ReadonlySet<string> {
  return new Set(['opus', 'L16', 'L24', 'PCMA', 'PCMU', 'G722']);
}

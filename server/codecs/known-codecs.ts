import { codecRegistry } from './registry.js';

/** Codec ids a profile may name. Read from the codec registry so that adding a codec record is enough. */
export function knownCodecIds(): ReadonlySet<string> {
  return new Set(codecRegistry.all().map((r) => r.id));
}

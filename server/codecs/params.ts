/** Parameter checks shared by the records. All failures are AcipError(CODEC_BAD_PARAMS, field). */
import { AcipError } from '../util/errors.js';
import { CODEC_BAD_PARAMS, CODEC_BAD_FRAME, type CodecParams, type CodecRecord } from './codec.js';

export function badParams(field: string, message: string): AcipError {
  return new AcipError(CODEC_BAD_PARAMS, message, field);
}

/** Checks rate, channels and packet time against the record's declared ranges. */
export function validateCommon(rec: Pick<CodecRecord, 'id' | 'sampleRates' | 'channels' | 'ptime'>, p: CodecParams): CodecParams {
  if (!rec.sampleRates.includes(p.sampleRate)) {
    throw badParams('sampleRate', `${rec.id}: sample rate ${p.sampleRate} not supported (${rec.sampleRates.join(', ')})`);
  }
  if (!rec.channels.includes(p.channels)) {
    throw badParams('channels', `${rec.id}: ${p.channels} channels not supported (${rec.channels.join(', ')})`);
  }
  if (!Number.isFinite(p.ptimeMs) || p.ptimeMs <= 0) throw badParams('ptimeMs', `${rec.id}: bad packet time ${p.ptimeMs}`);
  const allowed = rec.ptime.allowedMs;
  if (allowed && !allowed.includes(p.ptimeMs)) {
    throw badParams('ptimeMs', `${rec.id}: packet time ${p.ptimeMs} ms not one of ${allowed.join(', ')}`);
  }
  const max = rec.ptime.maxMs(p);
  if (p.ptimeMs < rec.ptime.minMs || p.ptimeMs > max) {
    throw badParams('ptimeMs', `${rec.id}: packet time ${p.ptimeMs} ms outside ${rec.ptime.minMs}..${max} ms`);
  }
  const samples = (p.sampleRate * p.ptimeMs) / 1000;
  if (Math.abs(samples - Math.round(samples)) > 1e-9) {
    throw badParams('ptimeMs', `${rec.id}: ${p.ptimeMs} ms is not a whole number of samples at ${p.sampleRate} Hz`);
  }
  return p;
}

export function checkFrame(frame: Float32Array, samplesPerFrame: number, channels: number, id: string): void {
  if (frame.length !== samplesPerFrame * channels) {
    throw new AcipError(CODEC_BAD_FRAME, `${id}: frame has ${frame.length} samples, expected ${samplesPerFrame * channels}`);
  }
}

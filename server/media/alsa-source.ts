/**
 * ALSA capture through an `arecord` subprocess writing raw interleaved samples to its stdout.
 *
 * The bytes land in a bounded, primed queue (PrimedQueue) that the send side's frame clock
 * reads. When the queue is nearly full, stdout is paused: the pipe then fills and arecord blocks,
 * and a real device overruns inside ALSA (arecord reports and recovers) rather than our memory
 * growing. This also paces devices that deliver faster than real time (ALSA's `null` and `file`
 * plugins do), so no audio is lost there. Reads never block; missing audio is silence, counted.
 * If arecord exits while the source is open, an `error` event is raised and reads yield silence.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { AcipError } from '../util/errors.js';
import { alsaArgs, bytesPerSample, decodeRaw, TailText, type AlsaProcessOptions } from './alsa-pcm.js';
import { QueuedSource } from './queued-source.js';

export interface AlsaSourceOptions extends AlsaProcessOptions {
  /** Capacity of the queue between arecord and the reader (default 200 ms). */
  queueMs?: number;
  /** Frames to collect before reading starts and after an underrun (default two reads' worth). */
  primeFrames?: number;
}

const KILL_GRACE_MS = 1000;

export class AlsaSource extends QueuedSource {
  readonly kind = 'alsa';
  readonly device: string;
  readonly pid: number | undefined;
  private readonly child: ChildProcess;
  private readonly frameBytes: number;
  private readonly format: NonNullable<AlsaSourceOptions['sampleFormat']>;
  private leftover: Buffer = Buffer.alloc(0);
  private pending: Buffer[] = [];
  private paused = false;
  private closing = false;
  private exited = false;
  private readonly stderr = new TailText();

  constructor(opts: AlsaSourceOptions) {
    super(opts.sampleRate, opts.channels, opts.queueMs, opts.primeFrames);
    this.device = opts.device;
    this.format = opts.sampleFormat ?? 'S32_LE';
    this.frameBytes = bytesPerSample(this.format) * opts.channels;
    const cmd = opts.command ?? 'arecord';
    this.child = spawn(cmd, alsaArgs(opts), { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env });
    this.pid = this.child.pid;
    this.child.stdout!.on('data', (b: Buffer) => this.onData(b));
    this.child.stderr!.on('data', (b: Buffer) => this.stderr.add(b));
    this.child.on('error', (e) => this.fail(`cannot run ${cmd}: ${e.message}`));
    this.child.on('exit', (code, signal) => {
      this.exited = true;
      if (!this.closing) {
        const why = signal ? `was killed by ${signal}` : `exited with code ${String(code)}`;
        this.fail(`${cmd} -D ${this.device} ${why}${this.stderr.toString() ? `: ${this.stderr.toString()}` : ''}`);
      }
    });
  }

  /** True once arecord has delivered audio. */
  get started(): boolean {
    return this.queue.started;
  }

  private fail(message: string): void {
    if (this.closing) return;
    this.emit('error', new AcipError('ALSA_CAPTURE_FAILED', message, 'input'));
  }

  private onData(b: Buffer): void {
    if (this.closing) return;
    this.pending.push(b);
    this.drainPending();
  }

  /** Moves pending bytes into the queue while there is room; pauses stdout when there is not. */
  private drainPending(): void {
    const ring = this.queue.ring;
    while (this.pending.length > 0) {
      const free = ring.freeFrames * this.frameBytes;
      if (free < this.frameBytes) break;
      let b = this.pending[0]!;
      if (this.leftover.length > 0) {
        b = Buffer.concat([this.leftover, b]);
        this.leftover = Buffer.alloc(0);
      }
      const usable = Math.min(b.length - (b.length % this.frameBytes), free);
      this.queue.push(decodeRaw(b.subarray(0, usable), this.format));
      const rest = b.subarray(usable);
      if (rest.length >= this.frameBytes) {
        this.pending[0] = rest; // Did not fit: keep for later.
        break;
      }
      this.pending.shift();
      this.leftover = Buffer.from(rest);
    }
    const full = this.pending.length > 0 || ring.freeFrames < ring.capacityFrames / 4;
    if (full && !this.paused) {
      this.paused = true;
      this.child.stdout!.pause();
    } else if (!full && this.paused) {
      this.paused = false;
      this.child.stdout!.resume();
    }
  }

  override read(frames: number): Float32Array {
    const out = super.read(frames);
    if (this.pending.length > 0 || this.paused) this.drainPending();
    return out;
  }

  /** Kills arecord (SIGTERM, then SIGKILL if it lingers). Idempotent. */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    this.pending = [];
    // arecord may be blocked writing into a paused pipe; closing our end unblocks it (EPIPE).
    this.child.stdout?.destroy();
    if (this.exited || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const t = setTimeout(() => {
      if (!this.exited) this.child.kill('SIGKILL');
    }, KILL_GRACE_MS);
    t.unref();
    this.child.once('exit', () => clearTimeout(t));
  }
}

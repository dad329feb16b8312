import { ErrorCode, KibitzError, type Clock, type TimerHandle } from '@kibitz/protocol'
import { FRAME_BYTES, OutgoingMessage, type FramedMessage } from './framing.js'
import type { PeerLink } from './peer-link.js'

export interface BackpressureOptions {
  /** Stop writing while the channel buffers more than this (bytes). */
  highWaterMark: number
  /** Resume once the channel has drained to this (bytes). */
  lowWaterMark: number
  /** How often to poll `bufferedAmount` while paused (ms). */
  pollMs: number
  /** Bytes a peer's queue may hold before `enqueue` refuses. */
  maxQueuedBytes: number
  /** Largest frame (defaults to {@link FRAME_BYTES}). */
  frameBytes?: number
}

/** The frame size a queue with these options sends (frame messages with it). */
export const frameBytesOf = (options: BackpressureOptions): number =>
  options.frameBytes ?? FRAME_BYTES

export const DEFAULT_BACKPRESSURE: BackpressureOptions = {
  highWaterMark: 1024 * 1024,
  lowWaterMark: 256 * 1024,
  pollMs: 2,
  maxQueuedBytes: 64 * 1024 * 1024,
}

/** Every link fires `bufferedamountlow` (→ `drain`) at the send queue's low-water mark (M24). */
export const DRAIN_THRESHOLD_BYTES = DEFAULT_BACKPRESSURE.lowWaterMark

/**
 * One peer's outgoing queue (M24, M25): messages leave in order, frame by frame, while the link's
 * `bufferedAmount` is under the high-water mark; above it the queue pauses and polls until the
 * channel drains to the low-water mark. Polling, not `bufferedamountlow`, so implementations that
 * never fire the event still make progress.
 */
export class SendQueue {
  readonly #queue: OutgoingMessage[] = []
  #queuedBytes = 0
  #link: PeerLink | null = null
  #timer: TimerHandle | null = null
  #paused = false
  #offDrain: (() => void) | null = null
  /**
   * An upper bound of the link's `bufferedAmount`: its last reading plus what we sent since (only
   * this queue writes to the channel). Reading it calls into the WebRTC stack (a lock in
   * libdatachannel) — with the bound, a small message is sent without it. Infinity = read next.
   */
  #bound = Number.POSITIVE_INFINITY
  bytesSent = 0
  messagesSent = 0

  constructor(
    readonly clock: Clock,
    readonly options: BackpressureOptions = DEFAULT_BACKPRESSURE,
  ) {}

  get queuedBytes(): number {
    return this.#queuedBytes
  }

  get length(): number {
    return this.#queue.length
  }

  /** Queue a message (framed once by the caller, possibly shared with other peers' queues). */
  enqueue(message: FramedMessage): void {
    if (this.#queuedBytes + message.size > this.options.maxQueuedBytes) {
      throw new KibitzError(
        ErrorCode.TOO_LARGE,
        `send queue full (${this.#queuedBytes} bytes queued; limit ${this.options.maxQueuedBytes})`,
      )
    }
    this.#queue.push(new OutgoingMessage(message))
    this.#queuedBytes += message.size
    this.pump()
  }

  /** Start writing to an open link. */
  attach(link: PeerLink): void {
    this.#link = link
    this.#bound = Number.POSITIVE_INFINITY
    this.#offDrain?.()
    // Resume at once when the channel says it drained; the poll stays as the fallback (M24).
    this.#offDrain = link.on('drain', () => {
      if (!this.#paused || this.#link !== link) return
      this.#cancelPoll()
      this.#paused = false
      this.#bound = Number.POSITIVE_INFINITY
      this.pump()
    })
    this.pump()
  }

  /** The link went away: a half-sent message starts over on the next link. */
  detach(): void {
    this.#offDrain?.()
    this.#offDrain = null
    this.#link = null
    this.#cancelPoll()
    this.#queue[0]?.restart()
  }

  /** Drop everything (the peer is gone). */
  clear(): void {
    this.detach()
    this.#queue.length = 0
    this.#queuedBytes = 0
  }

  pump(): void {
    const link = this.#link
    if (!link || this.#paused || !link.connected) return
    const { highWaterMark, lowWaterMark } = this.options
    // Safety net for stacks whose bufferedAmount lags behind send(): yield after a window's worth.
    let sentThisTurn = 0
    while (this.#queue.length > 0) {
      if (this.#bound > highWaterMark) this.#bound = link.bufferedAmount
      if (this.#bound > highWaterMark || sentThisTurn > highWaterMark) {
        this.#pauseUntil(lowWaterMark)
        return
      }
      const message = this.#queue[0]!
      const frame = message.next()
      if (frame) {
        try {
          link.send(frame)
        } catch {
          // The channel closed under us; the link's close event detaches and restarts.
          return
        }
        this.bytesSent += frame.byteLength
        sentThisTurn += frame.byteLength
        this.#bound += frame.byteLength
      }
      if (message.done) {
        this.#queue.shift()
        this.#queuedBytes -= message.size
        this.messagesSent++
      }
    }
  }

  #pauseUntil(low: number): void {
    this.#paused = true
    const poll = (): void => {
      this.#timer = null
      const link = this.#link
      if (!link) {
        this.#paused = false
        return
      }
      if (link.bufferedAmount > low) {
        this.#timer = this.clock.setTimeout(poll, this.options.pollMs)
        return
      }
      this.#paused = false
      this.#bound = Number.POSITIVE_INFINITY
      this.pump()
    }
    this.#timer = this.clock.setTimeout(poll, this.options.pollMs)
  }

  #cancelPoll(): void {
    if (this.#timer !== null) this.clock.clearTimeout(this.#timer)
    this.#timer = null
    this.#paused = false
  }
}

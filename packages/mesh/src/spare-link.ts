import type { LinkSignal, PeerLink } from './peer-link.js'

/**
 * An initiator link made before its peer is known (M41): its connection, lanes, data channel,
 * offer and candidates are ready when the first peer appears, so the offer leaves at once instead
 * of after the 50–100 ms a browser takes to build them. Until it is taken, its signals are
 * recorded (in order) and nothing is sent; a spare that closes or fails is never taken.
 */
export class SpareLink {
  readonly #signals: LinkSignal[] = []
  readonly #offs: (() => void)[]
  #dead = false

  constructor(
    readonly link: PeerLink,
    readonly policy: RTCIceTransportPolicy,
  ) {
    this.#offs = [
      link.on('signal', ({ signal }) => void this.#signals.push(signal)),
      link.on('close', () => (this.#dead = true)),
      link.on('error', () => (this.#dead = true)),
    ]
  }

  get usable(): boolean {
    return !this.#dead
  }

  /** Hand the link over with the signals it made so far; the recorder stops. */
  take(): { link: PeerLink; signals: LinkSignal[] } {
    for (const off of this.#offs.splice(0)) off()
    return { link: this.link, signals: this.#signals.splice(0) }
  }

  destroy(): void {
    for (const off of this.#offs.splice(0)) off()
    this.link.destroy()
  }
}

import {
  decodePresence,
  encodePresence,
  openJson,
  seal,
  type PresenceMessage,
  type RoomKeys,
} from '@kibitz/protocol'
import type { Serial } from './serial.js'
import type { RoomTransport } from './transport.js'

const encoder = new TextEncoder()

/**
 * Sealed presence frames over a room transport. Outbound: validate → JSON → seal, in order (one
 * serial queue), then a directed send. Inbound: open → decode; anything that fails is reported and
 * dropped (never thrown).
 */
export class PresenceWire {
  constructor(
    private readonly keys: RoomKeys,
    private readonly transport: RoomTransport,
    private readonly outbox: Serial,
    private readonly track: <T>(work: Promise<T>) => Promise<T> = (work) => work,
  ) {}

  send(to: string, message: PresenceMessage): void {
    const encoded = encodePresence(message)
    if (!encoded.ok) {
      console.error(`[kibitz] not sending ${message.t}: ${encoded.error.message}`)
      return
    }
    const bytes = encoder.encode(encoded.value)
    void this.outbox.run(async () => {
      const sealed = await this.track(seal(this.keys, bytes))
      if (sealed.ok) this.transport.send(to, sealed.value)
      else console.error(`[kibitz] sealing ${message.t} failed: ${sealed.error.message}`)
    })
  }

  /** Open and decode one inbound payload; `null` with a code when it must be dropped. */
  async open(
    payload: Uint8Array,
  ): Promise<{ message: PresenceMessage } | { message: null; code: string }> {
    const opened = await this.track(openJson(this.keys, payload))
    if (!opened.ok) return { message: null, code: opened.error.code }
    const decoded = decodePresence(opened.value)
    if (!decoded.ok) return { message: null, code: decoded.error.code }
    if (!decoded.value.known) return { message: null, code: 'UNKNOWN_KIND' }
    return { message: decoded.value.message }
  }
}

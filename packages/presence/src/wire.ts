import {
  PRESENCE_KINDS,
  SIGNAL_KINDS,
  decodePresence,
  decodeSignal,
  encodePresence,
  encodeSignal,
  ok,
  openJson,
  seal,
  type Result,
  type PresenceMessage,
  type RoomKeys,
  type SignalMessage,
} from '@kibitz/protocol'
import type { Serial } from './serial.js'
import type { RoomTransport } from './transport.js'

const encoder = new TextEncoder()
const SIGNAL: ReadonlySet<string> = new Set(SIGNAL_KINDS)
const PRESENCE: ReadonlySet<string> = new Set(PRESENCE_KINDS)

/** Validate and encode one message as the UTF-8 JSON a sealed payload carries. */
function encodeMessage(message: PresenceMessage | SignalMessage): Result<Uint8Array<ArrayBuffer>> {
  const encoded = SIGNAL.has(message.t)
    ? encodeSignal(message as SignalMessage)
    : encodePresence(message as PresenceMessage)
  return encoded.ok ? ok(encoder.encode(encoded.value)) : encoded
}

/** One message as a sealed payload, for a transport to carry outside the wire (broker B22). */
export async function sealMessage(
  keys: RoomKeys,
  message: PresenceMessage | SignalMessage,
): Promise<Result<Uint8Array>> {
  const bytes = encodeMessage(message)
  return bytes.ok ? seal(keys, bytes.value) : bytes
}

export type Inbound =
  | { plane: 'presence'; message: PresenceMessage }
  | { plane: 'signal'; message: SignalMessage }
  | { plane: null; code: string }

/**
 * Sealed frames over a room transport: the presence plane and the mesh's signaling plane share the
 * broker (both discriminated by `t`, with disjoint kinds). Outbound: validate → JSON → seal (started
 * at once), then directed sends in submission order (one serial queue). Inbound: open → decode by kind; anything that fails is
 * reported and dropped (never thrown).
 */
export class PresenceWire {
  constructor(
    private readonly keys: RoomKeys,
    private readonly transport: RoomTransport,
    private readonly outbox: Serial,
    private readonly track: <T>(work: Promise<T>) => Promise<T> = (work) => work,
  ) {}

  send(to: string, message: PresenceMessage | SignalMessage): void {
    const bytes = encodeMessage(message)
    if (!bytes.ok) {
      console.error(`[kibitz] not sending ${message.t}: ${bytes.error.message}`)
      return
    }
    // Sealed at once (a burst — an offer and its candidates, a roster to every member — seals in
    // parallel); sent in order by the outbox.
    const sealing = this.track(seal(this.keys, bytes.value))
    void this.outbox.run(async () => {
      const sealed = await sealing
      if (sealed.ok) this.transport.send(to, sealed.value)
      else console.error(`[kibitz] sealing ${message.t} failed: ${sealed.error.message}`)
    })
  }

  /** Open and decode one inbound payload. */
  async open(payload: Uint8Array): Promise<Inbound> {
    const opened = await this.track(openJson(this.keys, payload))
    if (!opened.ok) return { plane: null, code: opened.error.code }
    const kind = (opened.value as { t?: unknown } | null)?.t
    if (typeof kind === 'string' && SIGNAL.has(kind) && !PRESENCE.has(kind)) {
      const decoded = decodeSignal(opened.value)
      if (!decoded.ok) return { plane: null, code: decoded.error.code }
      if (!decoded.value.known) return { plane: null, code: 'UNKNOWN_KIND' }
      return { plane: 'signal', message: decoded.value.message }
    }
    const decoded = decodePresence(opened.value)
    if (!decoded.ok) return { plane: null, code: decoded.error.code }
    if (!decoded.value.known) return { plane: null, code: 'UNKNOWN_KIND' }
    return { plane: 'presence', message: decoded.value.message }
  }
}

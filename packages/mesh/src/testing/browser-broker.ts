import {
  BrokerEvent,
  brokerParser,
  decodeBrokerEvent,
  decodeJoinReply,
  decodeSignal,
  deriveRoomKeys,
  openJson,
  sealJson,
  type SignalMessage,
} from '@kibitz/protocol'
import type { MeshSignaling } from '../signaling.js'

/**
 * Page-side signaling over the REAL broker, for browser tests (bundled into a page; test-only).
 * The mesh must not depend on presence or socket.io-client, so the page gets socket.io-client's
 * prebuilt script as the global `io` (served by the test from @kibitz/test-utils) and speaks the
 * broker contract itself: join the room's tag, send each signal sealed with the room key to one
 * socket id, open and decode each `frame`. What presence does in production, minus the roster
 * (the test hands each page its peers). Mirrors `sealedBrokerSignaling` on the Node side.
 */

/** The slice of socket.io-client's `Socket` this file uses. */
interface IoSocket {
  on(event: string, cb: (...args: unknown[]) => void): void
  emit(event: string, ...args: unknown[]): void
  timeout(ms: number): { emitWithAck(event: string, body: unknown): Promise<unknown> }
  close(): void
}
declare const io: (url: string, options: Record<string, unknown>) => IoSocket

/** Signals sent and received so far, by message type (`sdp`, `ice`, `dial`, `bye`, …). */
export interface SignalCounts {
  sent: Record<string, number>
  received: Record<string, number>
}

export interface PageBrokerSignaling {
  /** Our broker socket id: the mesh's `self`. */
  self: string
  signaling: MeshSignaling
  counts: SignalCounts
  /** Inbound frames that failed to open or decode, sends the broker refused (reasons). */
  dropped: string[]
  close(): void
}

const bump = (table: Record<string, number>, key: string): void => {
  table[key] = (table[key] ?? 0) + 1
}

/** Connect to the broker at `url` (websocket only), join `room`'s tag, and return the signaling. */
export async function joinBrokerSignaling(
  url: string,
  room: string,
  timeoutMs = 5_000,
): Promise<PageBrokerSignaling> {
  const derived = await deriveRoomKeys(room)
  if (!derived.ok) throw derived.error
  const keys = derived.value
  const socket = io(url, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    timeout: timeoutMs,
    parser: brokerParser,
  })
  const counts: SignalCounts = { sent: {}, received: {} }
  const dropped: string[] = []
  const listeners = new Set<(from: string, message: SignalMessage) => void>()
  // Sealing and opening are asynchronous: one promise chain per direction keeps per-pair order.
  let outbound: Promise<void> = Promise.resolve()
  let inbound: Promise<void> = Promise.resolve()

  socket.on(BrokerEvent.frame, (raw) => {
    const frame = decodeBrokerEvent.frame(raw)
    if (!frame.ok) return void dropped.push(`frame: ${frame.error.code}`)
    if (frame.value.tag !== keys.tag) return
    const { from, payload } = frame.value
    inbound = inbound.then(async () => {
      const opened = await openJson(keys, payload)
      if (!opened.ok) return void dropped.push(`open: ${opened.error.code}`)
      const decoded = decodeSignal(opened.value)
      if (!decoded.ok) return void dropped.push(`decode: ${decoded.error.code}`)
      if (!decoded.value.known) return
      bump(counts.received, decoded.value.message.t)
      for (const cb of [...listeners]) cb(from, decoded.value.message)
    })
  })
  socket.on(BrokerEvent.refused, (raw) => {
    const refused = decodeBrokerEvent.refused(raw)
    dropped.push(`refused: ${refused.ok ? refused.value.error.code : 'malformed'}`)
  })

  await new Promise<void>((resolve, reject) => {
    socket.on('connect', () => resolve())
    socket.on('connect_error', (err) => reject(err instanceof Error ? err : new Error(String(err))))
  })
  const reply = decodeJoinReply(
    await socket.timeout(timeoutMs).emitWithAck(BrokerEvent.join, { tag: keys.tag }),
  )
  if (!reply.ok) {
    socket.close()
    throw reply.error
  }

  return {
    self: reply.value.self,
    counts,
    dropped,
    signaling: {
      send(to, message) {
        bump(counts.sent, message.t)
        outbound = outbound.then(async () => {
          const sealed = await sealJson(keys, message)
          if (!sealed.ok) return void dropped.push(`seal: ${sealed.error.code}`)
          socket.emit(BrokerEvent.send, { tag: keys.tag, to, payload: sealed.value })
        })
        return true
      },
      onSignal(cb) {
        listeners.add(cb)
        return () => void listeners.delete(cb)
      },
    },
    close() {
      listeners.clear()
      socket.close()
    },
  }
}

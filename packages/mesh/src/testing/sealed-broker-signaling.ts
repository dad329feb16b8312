import {
  decodeSignal,
  openJson,
  sealJson,
  type RoomKeys,
  type SignalMessage,
} from '@kibitz/protocol'
import type { BrokerTestClient } from '@kibitz/test-utils'
import type { MeshSignaling } from '../signaling.js'

/**
 * Test adapter: mesh signaling straight over the real broker, every frame sealed with the room key
 * (what presence does in production, minus the roster). Sealing and opening are asynchronous, so
 * both directions run through a promise chain to keep per-pair order.
 */
export function sealedBrokerSignaling(
  client: BrokerTestClient,
  keys: RoomKeys,
  onDropped: (reason: string) => void = () => {},
): MeshSignaling & { close(): void } {
  let outbound: Promise<void> = Promise.resolve()
  let inbound: Promise<void> = Promise.resolve()
  const listeners = new Set<(from: string, message: SignalMessage) => void>()
  const off = client.onFrame((frame) => {
    if (frame.tag !== keys.tag) return
    inbound = inbound.then(async () => {
      const opened = await openJson(keys, frame.payload)
      if (!opened.ok) return onDropped(`open: ${opened.error.code}`)
      const decoded = decodeSignal(opened.value)
      if (!decoded.ok) return onDropped(`decode: ${decoded.error.code}`)
      if (!decoded.value.known) return
      for (const cb of [...listeners]) cb(frame.from, decoded.value.message)
    })
  })
  return {
    send(to, message) {
      outbound = outbound.then(async () => {
        const sealed = await sealJson(keys, message)
        if (!sealed.ok) return onDropped(`seal: ${sealed.error.code}`)
        client.sendNoAck(keys.tag, to, sealed.value)
      })
      return true
    },
    onSignal(cb) {
      listeners.add(cb)
      return () => void listeners.delete(cb)
    },
    close() {
      off()
      listeners.clear()
    },
  }
}

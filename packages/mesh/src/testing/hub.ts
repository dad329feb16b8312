import type { SignalMessage } from '@kibitz/protocol'
import type { MeshSignaling } from '../signaling.js'

/**
 * In-memory signaling for N in-process meshes: asynchronous, in order per sender, routed by id.
 * Messages are JSON round-tripped like a real carrier would (no shared objects). Test-only.
 */
export interface SignalHub {
  endpoint(id: string): MeshSignaling
  /** Signals delivered so far, by kind. */
  readonly counts: Map<string, number>
  /** Every signal delivered, in order. */
  readonly log: { from: string; to: string; message: SignalMessage }[]
  /** Inject a raw frame as if `from` had sent it. */
  inject(from: string, to: string, message: unknown): void
}

export function createSignalHub(): SignalHub {
  const listeners = new Map<string, Set<(from: string, message: SignalMessage) => void>>()
  const counts = new Map<string, number>()
  const log: SignalHub['log'] = []
  const deliver = (from: string, to: string, message: unknown): boolean => {
    const subs = listeners.get(to)
    if (!subs || subs.size === 0) return false
    const copy = JSON.parse(JSON.stringify(message)) as SignalMessage
    setImmediate(() => {
      counts.set(copy.t, (counts.get(copy.t) ?? 0) + 1)
      log.push({ from, to, message: copy })
      for (const cb of [...(listeners.get(to) ?? [])]) cb(from, copy)
    })
    return true
  }
  return {
    counts,
    log,
    inject: (from, to, message) => void deliver(from, to, message),
    endpoint(id) {
      return {
        send: (to, message) => deliver(id, to, message),
        onSignal(cb) {
          let set = listeners.get(id)
          if (!set) listeners.set(id, (set = new Set()))
          set.add(cb)
          return () => void set.delete(cb)
        },
      }
    },
  }
}

/** The DTLS roles the hub's descriptions stated, as sorted `"<type> a=setup:<role>"` (M42). */
export function sdpSetups(hub: SignalHub): string[] {
  const setups = new Set<string>()
  for (const { message } of hub.log)
    if (message.t === 'sdp')
      for (const role of message.description.sdp.match(/a=setup:\w+/g) ?? [])
        setups.add(`${message.description.type} ${role}`)
  return [...setups].sort()
}

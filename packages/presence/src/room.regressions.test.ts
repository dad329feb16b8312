/**
 * Engine findings from the real-process tests and the `presence` benchmark, kept as minimal
 * regression tests on an in-process broker (each failed before its fix).
 */
import { startBroker, type Broker } from '@kibitz/broker'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { createRoom, type Room, type RoomTransport } from './index.js'
import { connectBroker } from './socket-io.js'

let broker: Broker
beforeAll(async () => {
  broker = await startBroker({ port: 0 })
})
afterAll(async () => {
  await broker?.close()
})

const TIMING = { pingMs: 100, reapMs: 3000 }
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const until = async (cond: () => boolean, ms: number, what: string) => {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms: ${what}`)
    await sleep(5)
  }
}

/** A socket.io transport whose inbound frames can be held back, and that can be closed abruptly. */
function controlled() {
  let hold = false
  let inner: RoomTransport | null = null
  return {
    connect(tag: string): RoomTransport {
      const t = connectBroker(broker.url, tag)
      inner = t
      return {
        tag: t.tag,
        get self() {
          return t.self
        },
        join: () => t.join(),
        claim: () => t.claim(),
        release: () => t.release(),
        send: (to, payload) => t.send(to, payload),
        leave: () => t.leave(),
        close: () => t.close(),
        on(event, listener) {
          if (event !== 'frame') return t.on(event, listener)
          const l = listener as (e: { from: string; payload: Uint8Array }) => void
          return t.on('frame', (e) => {
            if (!hold) l(e)
          })
        },
      }
    },
    hold: (on: boolean) => void (hold = on),
    /** Drop the socket without a goodbye (the broker sees a disconnect). */
    crash: () => inner?.close(),
  }
}

const mk = (room: string, name: string, connect: (tag: string) => RoomTransport): Room =>
  createRoom({ room, name, connect, timing: TIMING })

test('R10 R13: a member that left just before the authority died is not inherited as a ghost', async () => {
  // The successor builds its roster from the last one it saw (R10). If a member left and the
  // authority died before the roster without that member reached the successor, the broker's
  // memberLeft went to the dead authority, and the ghost stays on the new roster until reaped
  // (reapMs) although every live member re-announces within one round trip. Seen in the churn
  // benchmark: ~1 % of rooms per minute, convergence after quiescence ≈ reapMs (12 s default).
  const room = `findings-ghost-${Math.random().toString(36).slice(2)}`
  const a = controlled()
  const b = controlled()
  const ra = mk(room, 'A', (tag) => a.connect(tag))
  await ra.start()
  const rb = mk(room, 'B', (tag) => b.connect(tag))
  const rc = mk(room, 'C', (tag) => connectBroker(broker.url, tag))
  await rb.start()
  await rc.start()
  await until(
    () => [ra, rb, rc].every((r) => r.getSnapshot().participants.length === 3),
    5000,
    'three together',
  )
  expect(ra.getSnapshot().isAuthority).toBe(true)

  b.hold(true) // B misses the roster without C
  await rc.leave()
  await until(() => ra.getSnapshot().participants.length === 2, 5000, 'A drops C')
  await sleep(20) // A's roster without C is sealed and sent (B holds it back)
  a.crash()
  await until(() => rb.getSnapshot().isAuthority, 5000, 'B takes over')
  b.hold(false)
  expect(rb.getSnapshot().participants.map((p) => p.name)).toEqual(['B', 'C'])
  // Every live member re-announces at once; a few heartbeats are plenty (before the fix C
  // stayed until reapMs, 3 s here).
  await until(() => rb.getSnapshot().participants.length === 1, 20 * TIMING.pingMs, 'ghost gone')
  await rb.leave()
})

test('R20: heartbeats leave the authority snapshot untouched when nothing visible changed', async () => {
  // refresh() always builds a new snapshot object and notifies subscribers; the authority calls
  // it on every tick and every inbound ping, so a useSyncExternalStore binding re-renders the
  // authority's UI every pingMs per member.
  const room = `findings-r20-${Math.random().toString(36).slice(2)}`
  const ra = mk(room, 'A', (tag) => connectBroker(broker.url, tag))
  const rb = mk(room, 'B', (tag) => connectBroker(broker.url, tag))
  await ra.start()
  await rb.start()
  await until(
    () => ra.getSnapshot().participants.length === 2 && rb.getSnapshot().participants.length === 2,
    5000,
    'two together',
  )
  await sleep(3 * TIMING.pingMs)
  let notified = 0
  const off = ra.subscribe(() => notified++)
  const before = ra.getSnapshot()
  await sleep(5 * TIMING.pingMs)
  off()
  const after = ra.getSnapshot()
  await ra.leave()
  await rb.leave()
  expect(notified).toBe(0)
  expect(after).toBe(before)
})

/**
 * Churn load process for the `presence` benchmark: many in-process rooms (each participant its own
 * `createRoom` over its own socket.io connection) on one broker. Driven by JSON lines on stdin
 * (`churn`, `exit`), reports JSON lines on stdout (`joined`, `progress`, `churned`, `result`). Every room lives in one process, so this process can judge its rooms' convergence.
 *
 *   node presence-churn.mjs --url http://127.0.0.1:PORT --rooms 100 --per-room 5 --seed 1 --prefix a
 */
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { createRoom, type Room, type RoomTransport } from '@kibitz/presence'
import { connectBroker } from '@kibitz/presence/socket-io'

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    rooms: { type: 'string', default: '100' },
    'per-room': { type: 'string', default: '5' },
    seed: { type: 'string', default: '1' },
    prefix: { type: 'string', default: 'churn' },
  },
})
const url = values.url ?? ''
const ROOMS = Number(values.rooms)
const PER_ROOM = Number(values['per-room'])

/** mulberry32: a seeded schedule, so a run's join/leave pattern is reproducible. */
function seeded(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
const random = seeded(Number(values.seed))
const between = (lo: number, hi: number) => lo + random() * (hi - lo)

const print = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`)

interface Slot {
  room: string
  index: number
  identity: string
  live: Room | null
  transport: RoomTransport | null
  /** A start/leave is in flight. */
  busy: boolean
}

const counters = { joins: 0, leaves: 0, drops: 0, newIdentities: 0, errors: 0 }
let lastError = ''
/** When the last join or departure finished (the end of churn, for the convergence time). */
let lastChange = 0
const slots: Slot[] = []
for (let r = 0; r < ROOMS; r++) {
  for (let i = 0; i < PER_ROOM; i++) {
    slots.push({
      room: `${values.prefix}-room-${r}`,
      index: i,
      identity: `${values.prefix}-${r}-${i}-0`,
      live: null,
      transport: null,
      busy: false,
    })
  }
}

async function join(slot: Slot): Promise<void> {
  slot.busy = true
  const room = createRoom({
    room: slot.room,
    name: `p${slot.index}`,
    identity: slot.identity,
    connect: (tag) => {
      const t = connectBroker(url, tag)
      slot.transport = t
      return t
    },
  })
  slot.live = room
  try {
    await room.start()
    counters.joins++
    lastChange = performance.now()
  } catch (error) {
    counters.errors++
    lastError = error instanceof Error ? error.message : String(error)
    slot.live = null
    slot.transport?.close()
  } finally {
    slot.busy = false
  }
}

/** Leave politely, or vanish (close the socket with no goodbye: the broker sees a drop). */
async function depart(slot: Slot, polite: boolean): Promise<void> {
  const room = slot.live
  if (!room) return
  slot.busy = true
  slot.live = null
  if (polite) {
    await room.leave()
    counters.leaves++
  } else {
    slot.transport?.close()
    counters.drops++
  }
  slot.transport = null
  slot.busy = false
  lastChange = performance.now()
}

/** Why a room's live participants disagree (null: one authority, one roster of exactly them). */
function disagreement(members: Room[]): string | null {
  const snaps = members.map((m) => m.getSnapshot())
  if (snaps.length === 0) return null
  if (snaps.some((s) => s.phase !== 'joined' || s.self === null)) return 'not joined'
  const selves = snaps.map((s) => s.self!).sort()
  const authorities = new Set(snaps.map((s) => s.authority))
  if (authorities.size !== 1) return `${authorities.size} authorities`
  const holders = snaps.filter((s) => s.isAuthority)
  if (holders.length !== 1 || holders[0]!.self !== snaps[0]!.authority)
    return `${holders.length} self-declared authorities`
  for (const s of snaps) {
    const ids = s.participants.map((p) => p.id).sort()
    if (ids.join() !== selves.join()) return `roster [${ids.length}] ≠ survivors [${selves.length}]`
  }
  return null
}

function diverged(): { count: number; sample: string[] } {
  const byRoom = new Map<string, Room[]>()
  for (const s of slots) {
    if (!s.live) continue
    const list = byRoom.get(s.room) ?? []
    list.push(s.live)
    byRoom.set(s.room, list)
  }
  let count = 0
  const sample: string[] = []
  for (const [room, members] of byRoom) {
    const why = disagreement(members)
    if (why === null) continue
    count++
    if (sample.length < 5) sample.push(`${room}: ${why}`)
  }
  return { count, sample }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function initialJoin(): Promise<void> {
  const t0 = performance.now()
  // Batches keep the connect storm inside the broker's per-socket and accept limits.
  for (let i = 0; i < slots.length; i += 50) {
    await Promise.all(slots.slice(i, i + 50).map(join))
  }
  const end = performance.now() + 30_000
  while (diverged().count > 0 && performance.now() < end) await sleep(100)
  print({ ev: 'joined', ms: performance.now() - t0, diverged: diverged().count, ...counters })
}

/**
 * Each slot alternates: online 2–10 s, then leaves (half politely, half by dropping the socket),
 * offline 0.5–3 s, then rejoins — with the same identity 70 % of the time (a reconnect), else a
 * new one (a different person taking the seat).
 */
async function churn(durationMs: number): Promise<void> {
  const stopAt = performance.now() + durationMs
  const timers = new Set<NodeJS.Timeout>()
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t)
      fn()
    }, ms)
    timers.add(t)
  }
  const cycle = (slot: Slot) => {
    later(between(2_000, 10_000), () => {
      if (performance.now() >= stopAt) return
      void depart(slot, random() < 0.5).then(() => {
        later(between(500, 3_000), () => {
          if (random() >= 0.7) {
            counters.newIdentities++
            slot.identity = `${slot.identity.replace(/-\d+$/, '')}-${counters.newIdentities}`
          }
          // Rejoin even after the deadline: the room ends with its seats filled.
          void join(slot).then(() => {
            if (performance.now() < stopAt) cycle(slot)
          })
        })
      })
    })
  }
  for (const s of slots) cycle(s)
  const progress = setInterval(() => print({ ev: 'progress', ...counters }), 5_000)
  await sleep(durationMs)
  // Let departures already scheduled finish their rejoin (≤ 3 s offline + the join).
  const settle = performance.now() + 10_000
  while ((timers.size > 0 || slots.some((s) => s.busy)) && performance.now() < settle) {
    await sleep(50)
  }
  for (const t of timers) clearTimeout(t)
  clearInterval(progress)
}

/**
 * Wait until every room agrees (at most `maxMs`), then watch two more default heartbeats and count
 * again: the reported count is the one after that, so a room that flaps back apart counts.
 */
async function quiesce(maxMs: number): Promise<void> {
  const t0 = performance.now()
  let lastReport = t0
  for (let d = diverged(); d.count > 0 && performance.now() - t0 < maxMs; d = diverged()) {
    if (performance.now() - lastReport >= 1_000) {
      lastReport = performance.now()
      print({ ev: 'progress', quiescing: true, diverged: d.count, sample: d.sample })
    }
    await sleep(100)
  }
  const convergedAt = performance.now()
  await sleep(5_000)
  const d = diverged()
  const live = slots.filter((s) => s.live)
  print({
    ev: 'result',
    rooms: new Set(live.map((s) => s.room)).size,
    survivors: live.length,
    diverged: d.count,
    sample: d.sample,
    /** From the last join/departure to every room agreeing. */
    quiesceMs: Math.max(0, convergedAt - lastChange),
    lastError,
    ...counters,
  })
}

createInterface({ input: process.stdin })
  .on('line', (raw) => {
    const c = JSON.parse(raw) as { cmd: string; durationMs?: number; quiesceMs?: number }
    if (c.cmd === 'churn') {
      void churn(c.durationMs ?? 60_000).then(async () => {
        print({ ev: 'churned', ...counters })
        await quiesce(c.quiesceMs ?? 20_000)
      })
    } else if (c.cmd === 'exit') {
      void Promise.all(slots.map((s) => depart(s, true))).then(() => process.exit(0))
    }
  })
  .on('close', () => process.exit(0))

void initialJoin()

/**
 * Real parts: a real broker process on 127.0.0.1 and every participant in its own Node process
 * (`src/testing/participant-process.ts`, driven over JSON lines by `spawnParticipant`). Processes
 * are killed with SIGKILL by PID, so the broker only learns of it from the dropped socket.
 */
import {
  spawnParticipant,
  startBrokerProcess,
  waitUntil,
  type BrokerProcess,
  type ParticipantCommand,
  type ParticipantProcess,
  type ParticipantSnapshotReply,
  type ParticipantView,
} from '@kibitz/test-utils'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'

const TIMING = { pingMs: 300, reapMs: 2000 }
const HOST = { kind: 'name', name: 'Host' } as const

let broker: BrokerProcess
const started = new Set<ParticipantProcess>()

beforeAll(async () => {
  broker = await startBrokerProcess()
})

afterAll(async () => {
  await Promise.all([...started].map((p) => p.stop()))
  await broker?.kill('SIGTERM')
})

const now = () => performance.timeOrigin + performance.now()
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const uniq = (prefix: string) => `${prefix}-${Math.random().toString(36).slice(2, 10)}`

async function spawnMany(n: number): Promise<ParticipantProcess[]> {
  const ps = await Promise.all(Array.from({ length: n }, () => spawnParticipant()))
  for (const p of ps) started.add(p)
  return ps
}

type Start = Omit<Extract<ParticipantCommand, { cmd: 'start' }>, 'cmd' | 'url'>

function start(p: ParticipantProcess, opts: Start): Promise<unknown> {
  return p.request({ cmd: 'start', url: broker.url, timing: TIMING, ...opts })
}

async function received(p: ParticipantProcess): Promise<Record<string, number>> {
  return ((await p.request({ cmd: 'snapshot' })) as ParticipantSnapshotReply).received
}

const view = (p: ParticipantProcess): ParticipantView => {
  if (!p.view) throw new Error(`participant ${p.pid} printed no snapshot yet`)
  return p.view
}

/** Why `group` does not (yet) agree on one authority and one roster of exactly themselves; null if it does. */
function disagreement(group: readonly ParticipantProcess[]): string | null {
  const views = group.map((p) => p.view)
  if (views.some((v) => v === null || v.phase !== 'joined' || v.self === null))
    return 'not everyone joined'
  const vs = views as ParticipantView[]
  const selves = vs.map((v) => v.self!).sort()
  const authorities = new Set(vs.map((v) => v.authority))
  if (authorities.size !== 1) return `authorities differ: ${[...authorities].join(', ')}`
  const holders = vs.filter((v) => v.isAuthority)
  if (holders.length !== 1 || holders[0]!.self !== vs[0]!.authority)
    return `${holders.length} participants believe they are the authority`
  for (const v of vs) {
    const ids = v.participants.map((p) => p.id).sort()
    if (ids.join() !== selves.join()) return `${v.self} sees [${ids}] instead of [${selves}]`
    if (v.participants.filter((p) => p.isAuthority).length !== 1)
      return `${v.self}'s roster marks ${v.participants.filter((p) => p.isAuthority).length} authorities`
  }
  return null
}

const dump = (group: readonly ParticipantProcess[]) => () =>
  group.map((p) => `${p.pid}: ${JSON.stringify(p.view)}\n${p.stderr.text.slice(-500)}`).join('\n')

function converged(group: readonly ParticipantProcess[], timeoutMs = 10_000): Promise<void> {
  return waitUntil(
    () => disagreement(group) === null,
    timeoutMs,
    'convergence',
    () => {
      return `${disagreement(group)}\n${dump(group)()}`
    },
  )
}

/** Every socket id that ever appeared on `p`'s roster (from its whole snapshot history). */
function everRostered(p: ParticipantProcess): Set<string> {
  const ids = new Set<string>()
  for (const line of p.lines) {
    if (line.ev === 'snapshot') for (const m of line.view.participants) ids.add(m.id)
  }
  return ids
}

function authorityOf(group: readonly ParticipantProcess[]): ParticipantProcess {
  const a = group.find((p) => p.view?.isAuthority)
  if (!a) throw new Error('no authority in the group')
  return a
}

describe('real broker, real processes', () => {
  test('R4 R10 R13: 8 processes converge on one authority; SIGKILL of the authority → 7 survivors converge (failover timed)', async () => {
    const ps = await spawnMany(8)
    const room = uniq('procs-eight')
    // Everyone at once: the broker arbitrates the claim race (R4).
    await Promise.all(ps.map((p, i) => start(p, { room, name: `P${i}`, identity: uniq('id') })))
    await converged(ps)
    expect(new Set(ps.map((p) => view(p).authority)).size).toBe(1)

    const auth = authorityOf(ps)
    const oldAuthority = view(auth).self
    const survivors = ps.filter((p) => p !== auth)
    const t0 = now()
    await auth.kill('SIGKILL')
    await converged(survivors)
    // The moment the last survivor's snapshot became the agreed one (child clocks, same machine).
    const failoverMs = Math.max(...survivors.map((p) => p.viewAt)) - t0
    console.log(
      `R10 failover after SIGKILL of the authority: ${failoverMs.toFixed(1)} ms ` +
        `(7 survivors agree; epoch ${view(survivors[0]!).epoch})`,
    )
    const next = authorityOf(survivors)
    expect(view(next).self).not.toBe(oldAuthority)
    expect(survivors.every((p) => view(p).participants.length === 7)).toBe(true)
    expect(survivors.every((p) => view(p).epoch >= 1)).toBe(true)
    // The vacancy notice drove it, not the reaper (reapMs = 2,000).
    expect(failoverMs).toBeLessThan(TIMING.reapMs)
    await Promise.all(ps.map((p) => p.stop()))
  })

  test('R14 R17 R10 R6: the host removes X; X restarting with the same identity is refused and never rostered, also after the authority is killed', async () => {
    const room = uniq('procs-ban')
    const [coord, host, b, x] = await spawnMany(4)
    const idX = uniq('id-x')
    // The coordinator starts first so the authority is not the host: moderation comes from the host.
    await start(coord!, { room, name: 'Coord', identity: uniq('id'), host: HOST })
    await start(host!, { room, name: 'Host', identity: uniq('id'), host: HOST })
    await start(b!, { room, name: 'B', identity: uniq('id'), host: HOST })
    await start(x!, { room, name: 'X', identity: idX, host: HOST })
    const all = [coord!, host!, b!, x!]
    await converged(all)
    expect(view(coord!).isAuthority).toBe(true)
    expect(view(host!).isHost).toBe(true)

    const xId = view(x!).self!
    expect(await host!.request({ cmd: 'remove', id: xId })).toBe(true)
    await waitUntil(() => view(x!).phase === 'removed', 5_000, 'X removed', dump(all))
    expect(view(x!).lobby).toBe('removed')
    const members = [coord!, host!, b!]
    await converged(members)
    await x!.stop()

    // X comes back with the same identity from a new process: refused, never rostered.
    const banned = new Set<string>()
    const rejoin = async (): Promise<ParticipantProcess> => {
      const [x2] = await spawnMany(1)
      await start(x2!, { room, name: 'X', identity: idX, host: HOST })
      banned.add(view(x2!).self!)
      await waitUntil(() => view(x2!).phase === 'removed', 5_000, 'X refused', dump([x2!]))
      expect(view(x2!).lobby).toBe('removed')
      expect(view(x2!).participants).toEqual([])
      expect((await received(x2!)).roster ?? 0).toBe(0)
      return x2!
    }
    const x2 = await rejoin()
    await sleep(TIMING.pingMs * 3) // a few heartbeats: nobody rosters it later either

    // Migration: kill the coordinator; the survivors rebuild the state and the ban rides along.
    await coord!.kill('SIGKILL')
    const survivors = [host!, b!]
    await converged(survivors)
    // The host flag follows once the host re-announces to the new authority (it is inherited by
    // identity hash, and inherited entries carry none until they announce).
    await waitUntil(
      () => survivors.every((p) => view(p).host === view(host!).self) && view(host!).isHost,
      5_000,
      'the host is still the host after migration',
      dump(survivors),
    )
    const x3 = await rejoin()
    await sleep(TIMING.pingMs * 3)
    await converged(survivors)
    for (const p of [coord!, host!, b!]) {
      const seen = everRostered(p)
      for (const id of banned) expect(seen.has(id), `${id} on ${p.pid}'s roster`).toBe(false)
    }
    for (const p of survivors) expect(view(p).participants.map((m) => m.name)).not.toContain('X')
    await Promise.all([x2, x3, ...survivors].map((p) => p.stop()))
  })

  test('R16 R7: a locked room refuses a new identity and readmits a member that restarts with its identity', async () => {
    const room = uniq('procs-lock')
    const [host, m, newcomer] = await spawnMany(3)
    const idM = uniq('id-m')
    await start(host!, { room, name: 'Host', identity: uniq('id'), host: HOST })
    await start(m!, { room, name: 'M', identity: idM, host: HOST })
    await converged([host!, m!])
    expect(await host!.request({ cmd: 'setLocked', on: true })).toBe(true)
    await waitUntil(() => view(m!).locked, 5_000, 'lock reaches the member')

    await start(newcomer!, { room, name: 'N', identity: uniq('id-new'), host: HOST })
    await waitUntil(() => view(newcomer!).lobby === 'locked', 5_000, 'newcomer refused')
    const refusedId = view(newcomer!).self!

    // The member's process dies without a word; a new process with the same identity gets back in.
    const oldM = view(m!).self!
    await m!.kill('SIGKILL')
    const [m2] = await spawnMany(1)
    await start(m2!, { room, name: 'M', identity: idM, host: HOST })
    await converged([host!, m2!])
    expect(view(host!).participants.map((p) => p.id)).not.toContain(oldM)
    expect(view(host!).locked).toBe(true)

    await sleep(TIMING.pingMs * 3)
    expect(view(newcomer!).lobby).toBe('locked')
    expect(view(newcomer!).participants).toEqual([])
    expect((await received(newcomer!)).roster ?? 0).toBe(0)
    for (const p of [host!, m2!]) expect(everRostered(p).has(refusedId)).toBe(false)
    await Promise.all([host!, m2!, newcomer!].map((p) => p.stop()))
  })

  test('R15 R6: with the lobby on a newcomer waits and receives no roster until admitted; deny refuses', async () => {
    const room = uniq('procs-lobby')
    const [host, a, w, d] = await spawnMany(4)
    await start(host!, { room, name: 'Host', identity: uniq('id'), host: HOST })
    await start(a!, { room, name: 'A', identity: uniq('id'), host: HOST })
    await converged([host!, a!])
    expect(await host!.request({ cmd: 'setLobby', on: true })).toBe(true)
    await waitUntil(() => view(a!).lobbyOn, 5_000, 'lobby on reaches the member')

    await start(w!, { room, name: 'W', identity: uniq('id'), host: HOST })
    await waitUntil(() => view(w!).lobby === 'waiting', 5_000, 'W waits')
    const wId = view(w!).self!
    await waitUntil(
      () => view(host!).knocks.some((k) => k.id === wId && k.name === 'W'),
      5_000,
      'the host sees the knock',
    )
    await sleep(TIMING.pingMs * 3) // several heartbeats while waiting
    expect(view(w!).participants).toEqual([])
    expect((await received(w!)).roster ?? 0).toBe(0)
    expect(view(a!).knocks).toEqual([]) // only the host's roster copy carries the queue

    expect(await host!.request({ cmd: 'admit', id: wId })).toBe(true)
    await converged([host!, a!, w!])
    expect(view(w!).lobby).toBe('admitted')
    expect((await received(w!)).roster ?? 0).toBeGreaterThan(0)
    expect(view(host!).knocks).toEqual([])

    await start(d!, { room, name: 'D', identity: uniq('id'), host: HOST })
    await waitUntil(() => view(d!).lobby === 'waiting', 5_000, 'D waits')
    const dId = view(d!).self!
    await waitUntil(() => view(host!).knocks.some((k) => k.id === dId), 5_000, 'D knocks')
    expect(await host!.request({ cmd: 'deny', id: dId })).toBe(true)
    await waitUntil(() => view(d!).lobby === 'denied', 5_000, 'D denied')
    await sleep(TIMING.pingMs * 3)
    expect(view(d!).participants).toEqual([])
    expect((await received(d!)).roster ?? 0).toBe(0)
    await converged([host!, a!, w!])
    for (const p of [host!, a!, w!]) expect(everRostered(p).has(dId)).toBe(false)
    await Promise.all([host!, a!, w!, d!].map((p) => p.stop()))
  })
})

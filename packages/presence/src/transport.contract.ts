import { ErrorCode } from '@kibitz/protocol'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { testTag } from './testing/tag.js'
import type { RoomTransport, RoomTransportEvents } from './transport.js'

/**
 * The one contract every {@link RoomTransport} meets (broker SPEC B1–B10 seen from a client, plus
 * the transport's own reconnect/close rules). Run it with `describeTransportContract(name, makeEnv)`
 * from a test file; `makeEnv` is called before every test and `close`d after it.
 */
export interface TransportEnv {
  /** A new transport (a new socket) for `tag`. */
  connect(tag: string): RoomTransport
  /** Fake-time environments: move time forward. Without it, real time passes by itself. */
  advance?(ms: number): Promise<void>
  /** Make socket `id` drop at the network level so that its transport reconnects. */
  blip(id: string): void | Promise<void>
  /** Stop everything the environment started. */
  close(): Promise<void>
}

type Recorded = { [K in keyof RoomTransportEvents]: RoomTransportEvents[K][] }

interface Peer {
  t: RoomTransport
  ev: Recorded
  /** `self` after the first join. */
  id: string
}

const SENTINEL = 0xee
const bytes = (...values: number[]) => new Uint8Array(values)
const isSentinel = (p: Uint8Array) => p[0] === SENTINEL
const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

export function describeTransportContract(
  name: string,
  makeEnv: () => TransportEnv | Promise<TransportEnv>,
): void {
  describe(`RoomTransport contract: ${name}`, () => {
    let env: TransportEnv
    let tagCount = 0
    const tag = () => testTag(`contract-${name}-${++tagCount}`)

    beforeEach(async () => {
      env = await makeEnv()
    })
    afterEach(async () => {
      await env.close()
    })

    /** Let time pass (fake or real) until `ready()` holds. */
    async function until(ready: () => boolean, what: string, budgetMs = 5_000): Promise<void> {
      for (let spent = 0; !ready(); spent += 5) {
        if (spent > budgetMs) throw new Error(`timed out waiting for ${what}`)
        if (env.advance) await env.advance(5)
        else await realSleep(5)
      }
    }

    /** Await `p`, moving fake time while it is pending. */
    async function settle<T>(p: Promise<T>): Promise<T> {
      if (!env.advance) return p
      let done = false
      const watched = p.finally(() => {
        done = true
      })
      await until(() => done, 'a pending request', 30_000)
      return watched
    }

    function record(t: RoomTransport): Recorded {
      const ev: Recorded = { frame: [], memberLeft: [], vacated: [], reset: [], closed: [] }
      t.on('frame', (e) => ev.frame.push(e))
      t.on('memberLeft', (e) => ev.memberLeft.push(e))
      t.on('vacated', (e) => ev.vacated.push(e))
      t.on('reset', (e) => ev.reset.push(e))
      t.on('closed', (e) => ev.closed.push(e))
      return ev
    }

    async function joined(roomTag: string): Promise<Peer> {
      const t = env.connect(roomTag)
      const ev = record(t)
      const r = await settle(t.join())
      if (!r.ok) throw r.error
      return { t, ev, id: r.value.self }
    }

    async function peers(roomTag: string, n: number): Promise<Peer[]> {
      const out: Peer[] = []
      for (let i = 0; i < n; i++) out.push(await joined(roomTag))
      return out
    }

    /**
     * Everything the broker pushed to `to` before `via`'s next frame is delivered before it: `via`
     * sends a sentinel and we wait for it (per-connection order). Lets tests assert absences.
     */
    let sentinelSeq = 0
    async function barrier(via: Peer, to: Peer): Promise<void> {
      const mark = ++sentinelSeq & 0xff
      via.t.send(to.id, bytes(SENTINEL, mark))
      await until(
        () => to.ev.frame.some((f) => isSentinel(f.payload) && f.payload[1] === mark),
        'the sentinel frame',
      )
    }

    const frames = (p: Peer) => p.ev.frame.filter((f) => !isSentinel(f.payload))

    test('B1 B2: join answers self and a vacant authority, then the claimer', async () => {
      const room = tag()
      const a = env.connect(room)
      expect(a.tag).toBe(room)
      const ra = await settle(a.join())
      expect(ra.ok && ra.value.authority).toBe(null)
      const self = ra.ok ? ra.value.self : ''
      expect(self).toMatch(/.+/)
      expect(a.self).toBe(self)
      expect(await settle(a.claim())).toEqual({
        ok: true,
        value: { granted: true, authority: self },
      })
      const b = env.connect(room)
      const rb = await settle(b.join())
      expect(rb.ok && rb.value.authority).toBe(self)
      expect(rb.ok && rb.value.self).not.toBe(self)
      // B2: joining again is idempotent.
      expect(await settle(b.join())).toEqual(rb)
    })

    test('B4: among many concurrent claimers exactly one wins and every reply names it', async () => {
      const room = tag()
      const all = await peers(room, 8)
      const replies = await settle(Promise.all(all.map((p) => p.t.claim())))
      const values = replies.map((r) => {
        if (!r.ok) throw r.error
        return r.value
      })
      const winners = values.filter((v) => v.granted)
      expect(winners).toHaveLength(1)
      const holder = winners[0]!.authority
      expect(all.map((p) => p.id)).toContain(holder)
      for (const v of values) expect(v.authority).toBe(holder)
      const winner = all.find((p) => p.id === holder)!
      expect(await settle(winner.t.claim())).toEqual({
        ok: true,
        value: { granted: true, authority: holder },
      })
    })

    test('B6 B7: a frame reaches only its target, stamped with the true sender', async () => {
      const [a, b, c] = await peers(tag(), 3)
      a!.t.send(b!.id, bytes(1, 2, 3))
      await until(() => frames(b!).length === 1, 'the frame')
      expect(frames(b!)[0]!.from).toBe(a!.id)
      expect([...frames(b!)[0]!.payload]).toEqual([1, 2, 3])
      await barrier(a!, c!)
      await barrier(b!, a!)
      expect(frames(c!)).toEqual([])
      expect(frames(a!)).toEqual([])
    })

    test('B8: frames never cross tags', async () => {
      const [a] = await peers(tag(), 1)
      const [x, y] = await peers(tag(), 2)
      a!.t.send(x!.id, bytes(9))
      // B15: a round trip of `a` means its send was handled by the broker (and refused).
      await settle(a!.t.join())
      await barrier(y!, x!)
      expect(frames(x!)).toEqual([])
      expect(frames(y!)).toEqual([])
    })

    test('B9: member-left reaches only the authority (leave and disconnect)', async () => {
      const [a, b, c, d] = await peers(tag(), 4)
      expect((await settle(a!.t.claim())).ok).toBe(true)
      await settle(b!.t.leave())
      await until(() => a!.ev.memberLeft.length === 1, 'member-left after leave')
      expect(a!.ev.memberLeft[0]).toEqual({ id: b!.id })
      c!.t.close()
      await until(() => a!.ev.memberLeft.length === 2, 'member-left after close')
      expect(a!.ev.memberLeft[1]).toEqual({ id: c!.id })
      await barrier(a!, d!)
      expect(d!.ev.memberLeft).toEqual([])
      expect(d!.ev.vacated).toEqual([])
    })

    for (const how of ['leave', 'close', 'release'] as const) {
      test(`B10: members hear vacated when the authority ${how}s, then one claim wins`, async () => {
        const [a, b, c, d] = await peers(tag(), 4)
        expect((await settle(a!.t.claim())).ok).toBe(true)
        if (how === 'leave') await settle(a!.t.leave())
        else if (how === 'close') a!.t.close()
        else expect((await settle(a!.t.release())).ok).toBe(true)
        const rest = [b!, c!, d!]
        await until(() => rest.every((p) => p.ev.vacated.length === 1), 'vacated')
        for (const p of rest) expect(p.ev.vacated[0]).toEqual({ authority: a!.id })
        if (how === 'release') {
          await barrier(b!, a!)
          expect(a!.ev.vacated).toEqual([])
        }
        const claimers = how === 'release' ? [a!, ...rest] : rest
        const replies = await settle(Promise.all(claimers.map((p) => p.t.claim())))
        const granted = replies.filter((r) => r.ok && r.value.granted)
        expect(granted).toHaveLength(1)
        const holder = granted[0]!.ok ? granted[0]!.value.authority : null
        for (const r of replies) expect(r.ok && r.value.authority).toBe(holder)
      })
    }

    test('B5: a release by a non-holder is refused and changes nothing', async () => {
      const [a, b, c] = await peers(tag(), 3)
      expect((await settle(a!.t.claim())).ok).toBe(true)
      const r = await settle(b!.t.release())
      expect(r.ok).toBe(false)
      if (!r.ok) expect(r.error.code).toBe(ErrorCode.CLAIM_DENIED)
      await barrier(a!, c!)
      expect(c!.ev.vacated).toEqual([])
      const late = await joined(a!.t.tag)
      expect(await settle(late.t.claim())).toEqual({
        ok: true,
        value: { granted: false, authority: a!.id },
      })
    })

    test('B5: releasing a vacant slot is ok; claim/release before join is NOT_IN_ROOM', async () => {
      const room = tag()
      const [a] = await peers(room, 1)
      expect((await settle(a!.t.release())).ok).toBe(true)
      const outsider = env.connect(room)
      const claim = await settle(outsider.claim())
      expect(!claim.ok && claim.error.code).toBe(ErrorCode.NOT_IN_ROOM)
      outsider.close()
    })

    test('leave closes the transport; joining again gives a fresh id', async () => {
      const room = tag()
      const [a, b] = await peers(room, 2)
      expect((await settle(a!.t.claim())).ok).toBe(true)
      await settle(a!.t.leave())
      expect(a!.ev.closed).toEqual([{ reason: 'left' }])
      expect(a!.t.self).toBe(null)
      const again = await joined(room)
      expect(again.id).not.toBe(a!.id)
      expect(again.id).not.toBe(b!.id)
      expect(await settle(again.t.claim())).toEqual({
        ok: true,
        value: { granted: true, authority: again.id },
      })
    })

    test('close emits closed once; afterwards requests fail and sends are no-ops', async () => {
      const [a, b] = await peers(tag(), 2)
      a!.t.close()
      a!.t.close()
      expect(a!.ev.closed).toEqual([{ reason: 'closed' }])
      expect(a!.t.self).toBe(null)
      expect((await settle(a!.t.claim())).ok).toBe(false)
      expect((await settle(a!.t.join())).ok).toBe(false)
      a!.t.send(b!.id, bytes(1))
      await settle(a!.t.leave())
      await barrier(b!, b!)
      expect(frames(b!)).toEqual([])
    })

    test('reconnect: the transport re-joins with a new id, emits reset, and the old claim is freed', async () => {
      const room = tag()
      const [a, b, c] = await peers(room, 3)
      expect((await settle(a!.t.claim())).ok).toBe(true)
      const old = a!.id
      await env.blip(old)
      await until(() => a!.ev.reset.length === 1, 'reset', 10_000)
      const reset = a!.ev.reset[0]!
      expect(reset.self).not.toBe(old)
      expect(a!.t.self).toBe(reset.self)
      expect(a!.ev.closed).toEqual([])
      // The old id's claim is gone: members heard it, and a new claim succeeds.
      await until(() => b!.ev.vacated.length === 1 && c!.ev.vacated.length === 1, 'vacated')
      expect(b!.ev.vacated[0]).toEqual({ authority: old })
      const r = await settle(b!.t.claim())
      expect(r).toEqual({ ok: true, value: { granted: true, authority: b!.id } })
      // The new id is a full member: frames reach it, and its departure reaches the authority.
      b!.t.send(reset.self, bytes(4, 2))
      await until(() => frames(a!).length === 1, 'a frame to the new id')
      expect(frames(a!)[0]!.from).toBe(b!.id)
      a!.t.send(b!.id, bytes(2, 4))
      await until(() => frames(b!).length === 1, 'a frame from the new id')
      expect(frames(b!)[0]!.from).toBe(reset.self)
      a!.t.close()
      await until(() => b!.ev.memberLeft.length === 1, 'member-left of the new id')
      expect(b!.ev.memberLeft[0]).toEqual({ id: reset.self })
    })

    test('reconnect of a member: the authority hears member-left for the old id', async () => {
      const [a, b] = await peers(tag(), 2)
      expect((await settle(a!.t.claim())).ok).toBe(true)
      const old = b!.id
      await env.blip(old)
      await until(() => a!.ev.memberLeft.length === 1, 'member-left')
      expect(a!.ev.memberLeft[0]).toEqual({ id: old })
      await until(() => b!.ev.reset.length === 1, 'reset', 10_000)
      expect(b!.ev.reset[0]).toEqual({ self: b!.t.self, authority: a!.id })
    })
  })
}

import { describe, expect, test } from 'vitest'
import { createFreezableClock, createManualClock } from './clock.js'
import { createSeededRandom, randomId, randomInt } from './random.js'

describe('manual clock', () => {
  test('timers fire in due order, ties in the order they were set, and time stands at each', async () => {
    const clock = createManualClock(1_000)
    const log: string[] = []
    clock.setTimeout(() => log.push(`b@${clock.now()}`), 20)
    clock.setTimeout(() => log.push(`a@${clock.now()}`), 10)
    clock.setTimeout(() => log.push(`c@${clock.now()}`), 20)
    const gone = clock.setTimeout(() => log.push('never'), 5)
    clock.clearTimeout(gone)
    await clock.advance(15)
    expect(log).toEqual(['a@1010'])
    expect(clock.now()).toBe(1_015)
    await clock.advance(5)
    expect(log).toEqual(['a@1010', 'b@1020', 'c@1020'])
    expect(clock.pending()).toBe(0)
  })

  test('intervals repeat until cleared, even from inside their own callback', async () => {
    const clock = createManualClock()
    const at: number[] = []
    const h = clock.setInterval(() => {
      at.push(clock.now())
      if (at.length === 3) clock.clearInterval(h)
    }, 100)
    await clock.advance(1_000)
    expect(at).toEqual([100, 200, 300])
  })

  test('promise chains started by a timer settle before the next timer fires', async () => {
    const clock = createManualClock()
    const log: string[] = []
    clock.setTimeout(() => {
      void Promise.resolve()
        .then(() => Promise.resolve())
        .then(() => {
          log.push(`chain@${clock.now()}`)
          clock.setTimeout(() => log.push(`nested@${clock.now()}`), 0)
        })
    }, 10)
    clock.setTimeout(() => log.push(`next@${clock.now()}`), 10)
    await clock.advance(10)
    expect(log).toEqual(['chain@10', 'next@10', 'nested@10'])
  })

  test('tracked async work (e.g. WebCrypto) completes before time moves on', async () => {
    const clock = createManualClock()
    const log: string[] = []
    const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 128 }, false, [
      'encrypt',
    ])
    clock.setTimeout(() => {
      void clock
        .track(
          crypto.subtle.encrypt(
            { name: 'AES-GCM', iv: new Uint8Array(12) },
            key,
            new Uint8Array(64),
          ),
        )
        .then(() => log.push(`sealed@${clock.now()}`))
    }, 5)
    clock.setTimeout(() => log.push(`later@${clock.now()}`), 6)
    await clock.advance(10)
    expect(log).toEqual(['sealed@5', 'later@6'])
  })

  test('runFor steps; runNext jumps to the next timer', async () => {
    const clock = createManualClock()
    const at: number[] = []
    clock.setInterval(() => at.push(clock.now()), 30)
    await clock.runFor(100, 7)
    expect(at).toEqual([30, 60, 90])
    expect(clock.now()).toBe(100)
    expect(clock.nextDueAt()).toBe(120)
    expect(await clock.runNext()).toBe(true)
    expect(clock.now()).toBe(120)
    const empty = createManualClock()
    expect(await empty.runNext()).toBe(false)
    expect(() => empty.advance(-1)).toThrow(RangeError)
  })
})

describe('seeded random', () => {
  test('the same seed gives the same sequence; values lie in [0, 1)', () => {
    const a = createSeededRandom(99)
    const b = createSeededRandom(99)
    const xs = Array.from({ length: 1_000 }, () => a())
    expect(Array.from({ length: 1_000 }, () => b())).toEqual(xs)
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true)
    expect(new Set(xs).size).toBeGreaterThan(990)
    const c = createSeededRandom(100)
    expect(c()).not.toBe(xs[0])
  })

  test('randomInt covers [min, max] inclusive; randomId looks like a socket.io id', () => {
    const r = createSeededRandom(5)
    const seen = new Set<number>()
    for (let i = 0; i < 500; i++) seen.add(randomInt(r, 1, 5))
    expect([...seen].sort()).toEqual([1, 2, 3, 4, 5])
    expect(randomId(r)).toMatch(/^[A-Za-z0-9_-]{20}$/)
  })
})

describe('freezable clock', () => {
  test('timers stall while frozen and fire once each at the thaw, in due order', async () => {
    const base = createManualClock()
    const tab = createFreezableClock(base)
    const log: string[] = []
    tab.setInterval(() => log.push(`tick@${base.now()}`), 100)
    tab.setTimeout(() => log.push(`once@${base.now()}`), 250)
    const gone = tab.setTimeout(() => log.push('never'), 260)
    await base.advance(150)
    tab.freeze(1_000)
    expect(tab.frozen).toBe(true)
    tab.clearTimeout(gone)
    await base.advance(999)
    expect(log).toEqual(['tick@100'])
    await base.advance(1)
    expect(tab.frozen).toBe(false)
    expect(log).toEqual(['tick@100', 'tick@1150', 'once@1150'])
    await base.advance(100)
    expect(log.at(-1)).toBe('tick@1200')
  })
})

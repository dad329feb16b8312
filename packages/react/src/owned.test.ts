import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  claim,
  createOwned,
  isDestroyed,
  liveControllers,
  ORPHAN_MS,
  release,
  RELEASE_MS,
} from './owned.js'

/**
 * Ownership bookkeeping of `useCall(options)` (RX2), driven the way React drives it. Node
 * controllers here never join (no signalHost needed), so destroy is local.
 */

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

const make = () => createOwned({ room: 'room-owned-test', name: 'T' })

describe('owned controllers (RX2)', () => {
  it('a controller no commit ever claims (a discarded render) is destroyed after ORPHAN_MS', async () => {
    const live = liveControllers()
    const call = make()
    const destroy = vi.spyOn(call, 'destroy')
    expect(liveControllers()).toBe(live + 1)
    await vi.advanceTimersByTimeAsync(ORPHAN_MS - 1)
    expect(isDestroyed(call)).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    expect(isDestroyed(call)).toBe(true)
    expect(destroy).toHaveBeenCalledTimes(1)
    expect(liveControllers()).toBe(live)
    // …and nothing may adopt it afterwards.
    expect(claim(call)).toBe(false)
  })

  it("StrictMode's mount → cleanup → mount keeps the same controller alive", async () => {
    const call = make()
    const destroy = vi.spyOn(call, 'destroy')
    expect(claim(call)).toBe(true)
    release(call)
    expect(claim(call)).toBe(true)
    await vi.advanceTimersByTimeAsync(ORPHAN_MS * 2)
    expect(isDestroyed(call)).toBe(false)
    expect(destroy).not.toHaveBeenCalled()
    release(call)
    await vi.advanceTimersByTimeAsync(RELEASE_MS + 1)
    expect(isDestroyed(call)).toBe(true)
    expect(destroy).toHaveBeenCalledTimes(1)
  })

  it('the last release destroys once; extra releases and claims after it change nothing', async () => {
    const call = make()
    const destroy = vi.spyOn(call, 'destroy')
    claim(call)
    claim(call)
    release(call)
    await vi.advanceTimersByTimeAsync(RELEASE_MS + 1)
    expect(isDestroyed(call)).toBe(false)
    release(call)
    release(call)
    await vi.advanceTimersByTimeAsync(RELEASE_MS + 1)
    expect(destroy).toHaveBeenCalledTimes(1)
    expect(claim(call)).toBe(false)
    release(call)
    expect(destroy).toHaveBeenCalledTimes(1)
  })

  it('bad options throw the typed error and own nothing', () => {
    const live = liveControllers()
    expect(() => createOwned({ room: '' })).toThrow(
      expect.objectContaining({ code: 'ROOM_INVALID' }),
    )
    expect(liveControllers()).toBe(live)
  })
})

import { createCall, type Call } from '@kibitz/call'
import { createElement, type ReactNode } from 'react'
import { renderToString } from 'react-dom/server'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { liveControllers, ORPHAN_MS } from './owned.js'
import { isCall, useCall, type UseCallResult } from './use-call.js'

/**
 * `useCall` without a browser (RX1, RX4, RX5): `react-dom/server` renders once and runs no
 * effects, which is exactly a render that never commits.
 */

afterEach(() => {
  vi.useRealTimers()
})

function render(input: Parameters<typeof useCall>[0]): UseCallResult {
  let out: UseCallResult | null = null
  function Probe(): ReactNode {
    out = useCall(input)
    return createElement('p', { 'data-status': out.status.kind }, out.participants.length)
  }
  const html = renderToString(createElement(Probe))
  expect(html).toContain(`data-status="${out!.status.kind}"`)
  return out!
}

describe('useCall on the server renderer', () => {
  it('binds to a given controller without owning it: its snapshot, status and bound actions', async () => {
    const call = createCall({ room: 'room-given', name: 'Given' })
    const destroy = vi.spyOn(call, 'destroy')
    const join = vi.spyOn(call, 'join').mockResolvedValue(undefined)
    const r = render(call)
    expect(r.call).toBe(call)
    expect(r.owned).toBe(false)
    expect(r.status).toEqual({ kind: 'idle' })
    expect(r.state).toBe(call.getSnapshot().state)
    expect(r.participants).toBe(call.getSnapshot().participants)
    expect(r.self).toBeNull()
    // Actions are plain functions bound to the controller (no `this` needed).
    const { join: boundJoin, setLobby, broadcast } = r
    await boundJoin({ cam: false })
    expect(join).toHaveBeenCalledWith({ cam: false })
    expect(setLobby(true)).toBe(false)
    expect(broadcast({ x: 1 })).toBe(false)
    expect(destroy).not.toHaveBeenCalled()
    await call.destroy()
  })

  it('given options it makes one owned controller; a render that never commits leaves no live one', async () => {
    vi.useFakeTimers()
    const live = liveControllers()
    const r = render({ room: 'Room Owned', name: 'Owner' })
    expect(r.owned).toBe(true)
    expect(isCall(r.call)).toBe(true)
    expect(r.call!.room).toBe('room-owned')
    expect(r.status).toEqual({ kind: 'idle' })
    expect(liveControllers()).toBe(live + 1)
    await vi.advanceTimersByTimeAsync(ORPHAN_MS + 1)
    expect(liveControllers()).toBe(live)
  })

  it('invalid options never crash the tree: status failed with the typed error, inert actions (RX5)', async () => {
    for (const bad of [{ room: '' }, { room: '%%%' }, { room: 42 }, null, 'room-x']) {
      const r = render(bad as never)
      expect(r.call).toBeNull()
      expect(r.status.kind).toBe('failed')
      const error = r.status.kind === 'failed' ? r.status.error : null
      expect(error?.code).toBe('ROOM_INVALID')
      expect(r.state.error).toBe(error)
      await expect(r.join()).rejects.toBe(error)
      await expect(r.toggleCam()).rejects.toBe(error)
      expect(() => r.sendChat('hi')).toThrow(error!)
      expect(r.admit('x')).toBe(false)
      expect(r.broadcast('x')).toBe(false)
      await expect(r.leave()).resolves.toBeUndefined()
    }
  })

  it('isCall tells a controller from options', () => {
    const call: Call = createCall({ room: 'room-is-call' })
    expect(isCall(call)).toBe(true)
    expect(isCall({ room: 'room-is-call' })).toBe(false)
    expect(isCall(null)).toBe(false)
    void call.destroy()
  })
})

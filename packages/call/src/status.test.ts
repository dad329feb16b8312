import { createCall } from './call.js'
import type { CallState } from './types.js'
import { describe, expect, it } from 'vitest'
import { callStatus } from './status.js'

// The state a fresh controller reports (it dials nothing until join).
const base: CallState = createCall({
  room: 'status-test',
  signalHost: 'http://127.0.0.1:9',
}).getState()
const state = (patch: Partial<CallState>): CallState => ({ ...base, ...patch })

/** A real typed error, made the way the app meets one (createCall's ROOM_INVALID). */
function roomInvalid(): NonNullable<CallState['error']> {
  try {
    createCall({ room: '   ' })
  } catch (err) {
    return err as NonNullable<CallState['error']>
  }
  throw new Error('createCall accepted an empty room')
}

describe('callStatus (RX3)', () => {
  it('maps every controller status to its UI variant', () => {
    expect(callStatus(state({ status: 'idle' }))).toEqual({ kind: 'idle' })
    expect(callStatus(state({ status: 'preview' }))).toEqual({ kind: 'preview' })
    expect(callStatus(state({ status: 'connecting' }))).toEqual({ kind: 'connecting' })
    expect(callStatus(state({ status: 'waiting', lobbyStatus: 'waiting' }))).toEqual({
      kind: 'waiting',
    })
    expect(callStatus(state({ status: 'joined', inCall: true }))).toEqual({ kind: 'joined' })
  })

  it('an idle controller with an error is `failed`, carrying the typed error', () => {
    const error = roomInvalid()
    expect(error.code).toBe('ROOM_INVALID')
    expect(callStatus(state({ status: 'idle', error }))).toEqual({ kind: 'failed', error })
  })

  it('refused carries the lobby outcome as its reason; no outcome reads as removed', () => {
    for (const reason of ['denied', 'locked', 'unverified', 'removed'] as const) {
      expect(callStatus(state({ status: 'refused', lobbyStatus: reason }))).toEqual({
        kind: 'refused',
        reason,
      })
    }
    expect(callStatus(state({ status: 'refused' }))).toEqual({ kind: 'refused', reason: 'removed' })
    expect(callStatus(state({ status: 'refused', lobbyStatus: 'admitted' }))).toEqual({
      kind: 'refused',
      reason: 'removed',
    })
  })

  it('keeps identity: the same state object, or any plain variant, gives the same status', () => {
    const s = state({ status: 'refused', lobbyStatus: 'denied' })
    expect(callStatus(s)).toBe(callStatus(s))
    expect(callStatus(state({ status: 'joined' }))).toBe(callStatus(state({ status: 'joined' })))
  })

  it('a status a newer controller adds reads as connecting, never a crash', () => {
    const future = state({ status: 'reconnecting' as CallState['status'] })
    expect(callStatus(future)).toEqual({ kind: 'connecting' })
  })
})

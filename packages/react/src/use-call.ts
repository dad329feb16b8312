import type { Call, CallOptions, CallParticipant, CallSnapshot, CallState } from '@kibitz/call'
import { useCallback, useEffect, useMemo, useReducer, useRef, useSyncExternalStore } from 'react'
import { bindActions, inertActions, type CallActions } from './actions.js'
import { claim, createOwned, isDestroyed, release } from './owned.js'
import { callStatus, type CallError, type CallUiStatus } from '@kibitz/call'

export interface UseCallOptions {
  /**
   * Join once the component has mounted: `true` (muted, camera off — rule 8) or the devices to
   * open. Joining twice is a no-op, so StrictMode's second effect run does nothing. Default false.
   */
  autoJoin?: boolean | { mic?: boolean; cam?: boolean }
}

/** What `useCall` returns: the controller's snapshot, its UI status, and bound actions. */
export interface UseCallResult extends CallSnapshot, CallActions {
  /** The controller (null only when the options were invalid: see `status.kind === 'failed'`). */
  call: Call | null
  /** Whether this hook created the controller (and will destroy it on unmount). */
  owned: boolean
  /** The UI status (SPEC RX3). */
  status: CallUiStatus
  /** Our own roster entry while joined. */
  self: CallParticipant | null
}

/** A controller, told apart from options by its store methods. */
export function isCall(input: unknown): input is Call {
  return (
    typeof input === 'object' &&
    input !== null &&
    typeof (input as Call).subscribe === 'function' &&
    typeof (input as Call).getSnapshot === 'function'
  )
}

const IDLE: CallState = {
  status: 'idle',
  inCall: false,
  micOn: false,
  camOn: false,
  sharing: false,
  self: null,
  isHost: false,
  lobbyOn: false,
  locked: false,
  lobbyStatus: null,
  error: null,
}

/** The controller `useCall(options)` made, or the typed error its options produced. */
interface Slot {
  room: unknown
  call: Call | null
  error: CallError | null
  /** The snapshot shown without a controller. */
  inert: CallSnapshot | null
}

const BRAND = Symbol.for('kibitz.error')
const isCallError = (e: unknown): e is CallError =>
  typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[BRAND] === true

function make(input: unknown): Slot {
  const options = (typeof input === 'object' && input !== null ? input : {}) as CallOptions
  try {
    return { room: options.room, call: createOwned(options), error: null, inert: null }
  } catch (err) {
    // Bad options are a typed error in the UI (status `failed`), never a crashed tree (RX5).
    if (!isCallError(err)) throw err
    const inert: CallSnapshot = {
      state: { ...IDLE, error: err },
      participants: [],
      knocks: [],
      chat: [],
    }
    return { room: options.room, call: null, error: err, inert }
  }
}

const noop = (): void => undefined

/**
 * Bind a component to a call (SPEC RX1–RX5). Given options, the hook owns ONE controller for the
 * component's lifetime (made on first render, destroyed after unmount, StrictMode-safe; a new
 * `room` makes a new one, other options are read once — use the actions to change them). Given a
 * controller, it binds to it and never destroys it. Data comes from `useSyncExternalStore` over
 * the controller's `subscribe`/`getSnapshot`, so a component re-renders only when the snapshot
 * changes (never on heartbeats).
 */
export function useCall(input: CallOptions | Call, options: UseCallOptions = {}): UseCallResult {
  const given = isCall(input) ? input : null
  const slot = useRef<Slot | null>(null)
  const [, rerender] = useReducer((n: number) => n + 1, 0)

  let current: Slot | null = null
  if (!given) {
    const room = (input as Partial<CallOptions> | null)?.room
    current = slot.current
    // Lazy, render-time creation (the documented ref-init pattern); a render that never commits
    // leaves an orphan that owned.ts destroys. A destroyed controller is never shown again.
    if (!current || !Object.is(current.room, room) || (current.call && isDestroyed(current.call))) {
      current = slot.current = make(input)
    }
  }
  const owned = current?.call ?? null
  const call = given ?? owned
  const inert = current?.inert ?? null

  useEffect(() => {
    if (!owned) return
    // Destroyed before this commit (the render waited longer than ORPHAN_MS): render a new one.
    if (!claim(owned)) {
      rerender()
      return
    }
    return () => release(owned)
  }, [owned])

  const auto = options.autoJoin ?? false
  const autoOn = auto !== false
  const mic = typeof auto === 'object' && auto.mic === true
  const cam = typeof auto === 'object' && auto.cam === true
  useEffect(() => {
    if (!call || !autoOn || isDestroyed(call)) return
    // A failure lands in `state.error` (status `failed`); a second join is a no-op.
    call.join({ mic, cam }).catch(noop)
  }, [call, autoOn, mic, cam])

  const subscribe = useCallback(
    (listener: () => void) => (call ? call.subscribe(listener) : noop),
    [call],
  )
  const getSnapshot = useCallback(() => (call ? call.getSnapshot() : inert!), [call, inert])
  const snapshot = useSyncExternalStore(subscribe, getSnapshot, getSnapshot)

  const error = current?.error ?? null
  const actions = useMemo(() => (call ? bindActions(call) : inertActions(error!)), [call, error])
  return useMemo(
    () => ({
      ...actions,
      ...snapshot,
      call,
      owned: owned !== null,
      status: callStatus(snapshot.state),
      self: snapshot.participants.find((p) => p.isSelf) ?? null,
    }),
    [actions, snapshot, call, owned],
  )
}

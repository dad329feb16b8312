import type { Call, CallParticipant, CallSnapshot, CallState } from '@kibitz/call'
import type { ComponentChildren } from 'preact'
import { useCallback, useEffect, useRef, useState } from 'preact/hooks'

/** Why the room keeps us out (the lobby outcome; no outcome means the host removed us). */
export type Refusal = 'denied' | 'locked' | 'unverified' | 'removed'

/** One screen per variant (the same mapping as `callStatus` of @kibitz/react, SPEC RX3). */
export type Screen =
  | { kind: 'idle' | 'preview' | 'connecting' | 'waiting' | 'joined' }
  | { kind: 'failed'; error: NonNullable<CallState['error']> }
  | { kind: 'refused'; reason: Refusal }

export function screenOf(state: CallState): Screen {
  switch (state.status) {
    case 'idle':
      return state.error ? { kind: 'failed', error: state.error } : { kind: 'idle' }
    case 'refused': {
      const l = state.lobbyStatus
      const reason: Refusal = l === 'denied' || l === 'locked' || l === 'unverified' ? l : 'removed'
      return { kind: 'refused', reason }
    }
    default:
      return { kind: state.status }
  }
}

/** What every part of the panel reads: the controller, its snapshot and the screen. */
export interface View extends CallSnapshot {
  call: Call
  screen: Screen
}

/**
 * The controller's snapshot as Preact state: re-rendered on each `subscribe` notification (the
 * controller only notifies on real changes, never on heartbeats).
 */
export function useView(call: Call): View {
  const [snapshot, setSnapshot] = useState(() => call.getSnapshot())
  useEffect(() => {
    setSnapshot(call.getSnapshot())
    return call.subscribe(() => setSnapshot(call.getSnapshot()))
  }, [call])
  return { ...snapshot, call, screen: screenOf(snapshot.state) }
}

/** Up to two initials of a display name ("Dana Scully" → "DS"); "?" for none. */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean)
  const pick = words.length > 1 ? [words[0]!, words[words.length - 1]!] : words
  return (
    pick
      .map((w) => Array.from(w)[0] ?? '')
      .join('')
      .toLocaleUpperCase() || '?'
  )
}

/**
 * Bind `stream` to a `<video>` through a callback ref (rule 7: a camera toggle mutates the stream
 * in place, so only the element's arrival or a new stream object re-binds). A remote tile plays
 * sound; if the browser refuses sound before a gesture, it plays muted until the next click.
 */
export function useStreamRef(stream: MediaStream | null, muted: boolean) {
  const el = useRef<HTMLVideoElement | null>(null)
  const bind = useCallback(
    (v: HTMLVideoElement | null) => {
      if (el.current && el.current !== v) el.current.srcObject = null
      el.current = v
      if (!v) return
      v.muted = muted
      if (v.srcObject !== stream) v.srcObject = stream
      if (stream) play(v, muted)
    },
    [stream, muted],
  )
  const unblock = useCallback(() => {
    const v = el.current
    if (v && !muted && v.muted) {
      v.muted = false
      play(v, false)
    }
  }, [muted])
  return { bind, unblock }
}

function play(v: HTMLVideoElement, muted: boolean): void {
  v.play().catch((err: unknown) => {
    if ((err as { name?: string }).name !== 'NotAllowedError' || muted || v.muted) return
    v.muted = true
    v.play().catch(() => undefined)
  })
}

/**
 * One participant: their camera, or their avatar while the roster says the camera is off (rule 3:
 * never by track presence, placeholders always flow). The video element stays mounted (hidden)
 * so it keeps playing the participant's audio.
 */
export function VideoTile({ p }: { p: CallParticipant }): ComponentChildren {
  const { bind, unblock } = useStreamRef(p.stream, p.isSelf)
  const show = p.camOn && p.stream !== null
  return (
    <div
      onClick={unblock}
      data-kibitz-tile=""
      data-participant={p.id}
      data-self={String(p.isSelf)}
      data-cam={show ? 'on' : 'off'}
      data-mic={p.micOn ? 'on' : 'off'}
      data-speaking={String(p.speaking)}
    >
      <video
        ref={bind}
        autoPlay
        playsInline
        muted={p.isSelf}
        aria-hidden={show ? undefined : 'true'}
        style={{
          display: show ? undefined : 'none',
          transform: p.isSelf ? 'scaleX(-1)' : undefined,
        }}
      />
      {show ? null : (
        <div data-part="avatar" role="img" aria-label={p.name || 'participant'}>
          {p.avatar || initials(p.name)}
        </div>
      )}
    </div>
  )
}

/** A button that acts on the second press within 3 s (leave, remove, reset): no slip ends a call. */
export function useTwoTap(action: () => void): [armed: boolean, press: () => void] {
  const [armed, setArmed] = useState(false)
  useEffect(() => {
    if (!armed) return
    const t = setTimeout(() => setArmed(false), 3000)
    return () => clearTimeout(t)
  }, [armed])
  return [
    armed,
    () => {
      if (armed) {
        setArmed(false)
        action()
      } else setArmed(true)
    },
  ]
}

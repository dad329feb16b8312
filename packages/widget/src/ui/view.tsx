import {
  callStatus,
  initialsOf,
  type Call,
  type CallParticipant,
  type CallSnapshot,
  type CallUiStatus,
} from '@kibitz/call'
import type { ComponentChildren } from 'preact'
import { useCallback, useEffect, useRef, useState } from 'preact/hooks'

/** What every part of the panel reads: the controller, its snapshot and the screen. */
export interface View extends CallSnapshot {
  call: Call
  screen: CallUiStatus
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
  return { ...snapshot, call, screen: callStatus(snapshot.state) }
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
          {p.avatar || initialsOf(p.name)}
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

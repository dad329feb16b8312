import { initialsOf, type CallParticipant } from '@kibitz/call'
import { useCallback, useRef, type CSSProperties, type ReactNode } from 'react'

export interface VideoTileProps {
  participant: CallParticipant
  /** Mirror the video horizontally. Default: our own tile only (a self-view reads like a mirror). */
  mirror?: boolean
  className?: string
  style?: CSSProperties
  /** Shown while the camera is off. Default: the participant's avatar, else their initials. */
  fallback?: ReactNode
}

/**
 * Start playback; if the browser refuses sound without a gesture, play muted and mark the element
 * `data-audio="blocked"` (the tile's next click unmutes it).
 */
function play(el: HTMLVideoElement): void {
  el.play().catch((err: unknown) => {
    if ((err as { name?: string }).name !== 'NotAllowedError' || el.muted) return
    el.muted = true
    el.dataset.audio = 'blocked'
    el.play().catch(() => undefined)
  })
}

/**
 * One participant: their camera in a `<video>`, or their avatar while the roster says the camera is
 * off (SPEC RX7–RX9, rule 3 — never by track presence: placeholder tracks always exist). The video
 * element stays mounted across cam toggles (hidden, still bound, still the remote audio sink), and
 * the stream is bound through a callback ref (rule 7): a re-render never touches it, a new stream
 * object re-binds it once.
 */
export function VideoTile({
  participant: p,
  mirror,
  className,
  style,
  fallback,
}: VideoTileProps): ReactNode {
  const stream = p.stream
  const muted = p.isSelf
  const element = useRef<HTMLVideoElement | null>(null)

  // Rule 7: identity changes only with the stream (or self-ness), so React re-runs it only then.
  const bind = useCallback(
    (el: HTMLVideoElement | null) => {
      const prev = element.current
      element.current = el
      if (!el) {
        // Detached (unmount, or about to re-bind a new stream): let go of the old stream.
        if (prev) prev.srcObject = null
        return
      }
      // `muted` as a property: React does not reliably reflect the attribute, autoplay reads this.
      el.muted = muted
      if (el.srcObject !== stream) el.srcObject = stream
      if (stream) play(el)
    },
    [stream, muted],
  )

  const unblock = useCallback(() => {
    const el = element.current
    if (!el || el.dataset.audio !== 'blocked' || muted) return
    delete el.dataset.audio
    el.muted = false
    play(el)
  }, [muted])

  const showVideo = p.camOn && stream !== null
  const flip = mirror ?? p.isSelf
  return (
    <div
      className={className}
      style={style}
      onClick={unblock}
      data-kibitz-tile=""
      data-participant={p.id}
      data-self={p.isSelf ? 'true' : 'false'}
      data-cam={showVideo ? 'on' : 'off'}
      data-mic={p.micOn ? 'on' : 'off'}
      data-speaking={p.speaking ? 'true' : 'false'}
    >
      <video
        ref={bind}
        data-part="video"
        autoPlay
        playsInline
        muted={muted}
        aria-hidden={showVideo ? undefined : true}
        style={{
          display: showVideo ? undefined : 'none',
          transform: flip ? 'scaleX(-1)' : undefined,
        }}
      />
      {showVideo ? null : (
        <div data-part="avatar" role="img" aria-label={p.name || 'participant'}>
          {fallback ?? (p.avatar || initialsOf(p.name))}
        </div>
      )}
    </div>
  )
}

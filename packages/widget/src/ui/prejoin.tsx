import { useStreamRef, type View } from './view.js'
import type { ComponentChildren } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import type { MountOptions } from '../types.js'

const NAME_KEY = 'kibitz:name'

function storedName(): string {
  try {
    return globalThis.localStorage?.getItem(NAME_KEY) ?? ''
  } catch {
    return '' // storage blocked (third-party frame, privacy mode)
  }
}

function storeName(name: string): void {
  try {
    globalThis.localStorage?.setItem(NAME_KEY, name)
  } catch {
    // not persisted; harmless
  }
}

/**
 * The local camera check before joining (and the whole of `preview` mode): a stream of the
 * chosen devices, stopped whenever the choice changes and on unmount, so the camera light never
 * outlives the screen. The call opens its own devices on join (SPEC W8).
 */
function useLocalPreview(
  cam: boolean,
  mic: boolean,
): { stream: MediaStream | null; error: string } {
  const [stream, setStream] = useState<MediaStream | null>(null)
  const [error, setError] = useState('')
  useEffect(() => {
    const devices = globalThis.navigator?.mediaDevices
    if ((!cam && !mic) || !devices?.getUserMedia) {
      setStream(null)
      return
    }
    let live = true
    let got: MediaStream | null = null
    devices.getUserMedia({ video: cam, audio: mic }).then(
      (s) => {
        got = s
        if (!live) s.getTracks().forEach((t) => t.stop())
        else {
          setError('')
          setStream(s)
        }
      },
      (err: unknown) => {
        if (live) setError((err as Error)?.name === 'NotAllowedError' ? 'blocked' : 'unavailable')
      },
    )
    return () => {
      live = false
      got?.getTracks().forEach((t) => t.stop())
    }
  }, [cam, mic])
  return { stream, error }
}

/**
 * The pre-join screen (name, mic and camera choice with a live preview, Join), or in `preview`
 * mode the same self-view with no way to dial. Joining is muted with the camera off unless the
 * visitor turned them on here (rule 8).
 */
export function PreJoin({ c, options }: { c: View; options: MountOptions }): ComponentChildren {
  const previewOnly = options.preview === true
  const [name, setName] = useState(() => options.name || storedName())
  const [mic, setMic] = useState(false)
  const [cam, setCam] = useState(previewOnly)
  const [busy, setBusy] = useState(false)
  const { stream, error } = useLocalPreview(cam, mic)
  const { bind } = useStreamRef(stream, true)

  const join = (): void => {
    const n = name.trim()
    if (n) storeName(n)
    c.call.setName(n)
    stream?.getTracks().forEach((t) => t.stop())
    setBusy(true)
    c.call
      .join({ mic, cam })
      .catch(() => undefined) // a failure is state.error (status `failed`), shown below
      .finally(() => setBusy(false))
  }

  const failed = c.screen.kind === 'failed' ? c.screen.error : null
  return (
    <form
      className="pad main"
      data-testid="prejoin"
      onSubmit={(e) => {
        e.preventDefault()
        if (!previewOnly && !busy) join()
      }}
    >
      <div className="prev">
        {cam && stream ? (
          <video ref={bind} autoPlay playsInline muted data-testid="preview-video" />
        ) : (
          <span>{error ? `Camera ${error}` : cam ? 'Starting camera…' : 'Camera is off'}</span>
        )}
      </div>
      <div className="row">
        <button
          type="button"
          className={mic ? 'pri' : ''}
          aria-pressed={mic}
          onClick={() => setMic(!mic)}
        >
          {mic ? 'Mic on' : 'Mic off'}
        </button>
        <button
          type="button"
          className={cam ? 'pri' : ''}
          aria-pressed={cam}
          onClick={() => setCam(!cam)}
        >
          {cam ? 'Camera on' : 'Camera off'}
        </button>
      </div>
      {previewOnly ? (
        <p className="muted">Preview: this panel shows your own camera and never dials a room.</p>
      ) : (
        <>
          <label>
            Your name
            <input
              type="text"
              value={name}
              maxLength={64}
              autoComplete="nickname"
              placeholder="How others see you"
              onInput={(e) => setName((e.target as HTMLInputElement).value)}
            />
          </label>
          {failed ? (
            <p className="err" role="alert">
              Could not join: {failed.message}
            </p>
          ) : null}
          <button className="pri" type="submit" disabled={busy} data-testid="join">
            {failed ? 'Try again' : 'Join the call'}
          </button>
          <p className="muted">You join muted with the camera off unless you turn them on here.</p>
        </>
      )}
    </form>
  )
}

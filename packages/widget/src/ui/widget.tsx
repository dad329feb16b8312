import type { Call } from '@kibitz/call'
import { useView, type View } from './view.js'
import type { ComponentChildren, TargetedKeyboardEvent } from 'preact'
import { useEffect, useRef, useState } from 'preact/hooks'
import type { MountOptions } from '../types.js'
import { InCall } from './in-call.js'
import { PreJoin } from './prejoin.js'
import { CopyInvite, inviteUrl } from './invite.js'

/** How `mount()` opens and closes the panel from outside (filled in on first render). */
export interface PanelHandle {
  open(): void
  close(): void
}

interface WidgetProps {
  call: Call
  options: MountOptions
  handle: PanelHandle
}

const REFUSED: Record<string, string> = {
  denied: 'The host did not let you in.',
  locked: 'This room is locked: nobody new can join right now.',
  removed: 'The host removed you from the call.',
  unverified: 'This room only admits verified participants.',
}

/**
 * The floating call: a corner launcher that opens the panel, and in the panel one screen per call
 * status (SPEC W7–W12). Every piece of call state comes from the controller through `useCall`;
 * the widget holds only view state (open, which side pane, drafts).
 */
export function Widget({ call, options, handle }: WidgetProps): ComponentChildren {
  const c = useView(call)
  const [open, setOpen] = useState(options.startOpen === true || options.preview === true)
  const panel = useRef<HTMLDivElement | null>(null)
  const launcher = useRef<HTMLButtonElement | null>(null)
  handle.open = () => setOpen(true)
  handle.close = () => setOpen(false)

  // Move focus into the panel when it opens and back to the launcher when it closes (a11y).
  const first = useRef(true)
  useEffect(() => {
    if (first.current) {
      first.current = false
      return
    }
    if (open) panel.current?.focus()
    else launcher.current?.focus()
  }, [open])

  const auto = options.autoJoin === true && options.preview !== true
  const kind = c.screen.kind
  useEffect(() => {
    if (auto && open && kind === 'idle') call.join().catch(() => undefined)
  }, [auto, open, kind, call])

  const count = c.participants.length
  if (!open) {
    return (
      <button
        ref={launcher}
        className="launch"
        type="button"
        aria-label={c.state.inCall ? `Open the call (${count} in the call)` : 'Open the call'}
        onClick={() => setOpen(true)}
      >
        <MicGlyph />
        {c.state.inCall ? <span className="n">{count}</span> : null}
      </button>
    )
  }

  const onKey = (e: TargetedKeyboardEvent<HTMLDivElement>): void => {
    if (e.key === 'Escape') {
      e.stopPropagation()
      setOpen(false)
    }
  }
  const joined = c.screen.kind === 'joined'
  return (
    <div
      ref={panel}
      className={joined && count > 2 ? 'panel wide' : 'panel'}
      role="dialog"
      aria-label={`${options.brandName ?? 'Kibitz'} call`}
      tabIndex={-1}
      onKeyDown={onKey}
      data-status={c.screen.kind}
    >
      <div className="bar">
        <h2>
          {options.brandName ?? 'Kibitz'} · <span data-testid="room">{call.room}</span>
        </h2>
        <CopyInvite link={() => inviteUrl(options)} />
        <button
          className="ic"
          type="button"
          aria-label="Minimize the call panel"
          onClick={() => setOpen(false)}
        >
          ▁
        </button>
      </div>
      <Screen c={c} options={options} />
    </div>
  )
}

function Screen({ c, options }: { c: View; options: MountOptions }): ComponentChildren {
  const s = c.screen
  switch (s.kind) {
    case 'idle':
    case 'failed':
    case 'preview':
      return <PreJoin c={c} options={options} />
    case 'connecting':
      return (
        <Centered>
          <p role="status">Connecting…</p>
          <button type="button" onClick={() => void c.call.leave()}>
            Cancel
          </button>
        </Centered>
      )
    case 'waiting':
      return <Lobby c={c} />
    case 'refused':
      return (
        <Centered>
          <p role="alert">{REFUSED[s.reason] ?? 'You cannot join this room.'}</p>
          <button
            className="pri"
            type="button"
            onClick={() => void c.call.leave().then(() => c.call.join().catch(() => undefined))}
          >
            Try again
          </button>
        </Centered>
      )
    case 'joined':
      return <InCall c={c} />
  }
}

/** The waiting room: the host decides; we may rename ourselves while we wait. */
function Lobby({ c }: { c: View }): ComponentChildren {
  const [name, setName] = useState('')
  return (
    <Centered>
      <p role="status" data-testid="lobby">
        Waiting for the host to let you in…
      </p>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault()
          if (name.trim()) c.call.knock(name.trim())
        }}
      >
        <label>
          Your name, as the host sees it
          <input
            type="text"
            value={name}
            maxLength={64}
            onInput={(e) => setName((e.target as HTMLInputElement).value)}
          />
        </label>
        <button type="submit">Update</button>
      </form>
      <button type="button" onClick={() => void c.call.leave()}>
        Leave
      </button>
    </Centered>
  )
}

export function Centered({ children }: { children: ComponentChildren }): ComponentChildren {
  return <div className="pad center main">{children}</div>
}

export function MicGlyph(): ComponentChildren {
  return (
    <svg width="24" height="24" viewBox="0 0 24 24" aria-hidden="true" fill="currentColor">
      <path d="M12 14a3 3 0 0 0 3-3V5a3 3 0 0 0-6 0v6a3 3 0 0 0 3 3zm5-3a5 5 0 0 1-10 0H5a7 7 0 0 0 6 6.9V21h2v-3.1A7 7 0 0 0 19 11z" />
    </svg>
  )
}

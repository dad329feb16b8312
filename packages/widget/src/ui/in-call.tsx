import type { CallParticipant } from '@kibitz/call'
import { VideoTile, useStreamRef, useTwoTap, type View } from './view.js'
import type { ComponentChildren, TargetedKeyboardEvent } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { Chat } from './chat.js'
import { People } from './people.js'

type Pane = 'chat' | 'people' | null

/** The call: a stage for a shared screen, the tiles, the controls and a side pane (SPEC W9–W11). */
export function InCall({ c }: { c: View }): ComponentChildren {
  const [pane, setPane] = useState<Pane>(null)
  const [seen, setSeen] = useState(c.chat.length)
  const unread = pane === 'chat' ? 0 : Math.max(0, c.chat.length - seen)
  useEffect(() => {
    if (pane === 'chat') setSeen(c.chat.length)
  }, [pane, c.chat.length])
  const knocks = c.state.isHost ? c.knocks.length : 0

  // M / V toggle mic / camera while focus is in the call but not in a text field.
  const onKey = (e: TargetedKeyboardEvent<HTMLDivElement>): void => {
    const tag = (e.target as HTMLElement).tagName
    if (tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || e.ctrlKey || e.metaKey) return
    if (e.key === 'm' || e.key === 'M') void c.call.toggleMic()
    else if (e.key === 'v' || e.key === 'V') void c.call.toggleCam()
  }

  // Newest presenter wins: by when their share started (`meta.presenting`).
  const since = (p: CallParticipant) => Number(p.meta.presenting) || 0
  const presenter = c.participants
    .filter((p) => !p.isSelf && p.sharing && p.shareStream)
    .sort((a, b) => since(b) - since(a))[0]
  return (
    <div className="body" onKeyDown={onKey}>
      <div className="main">
        {presenter ? <Stage p={presenter} /> : null}
        {c.state.sharing ? (
          <p className="muted row" style={{ padding: '4px 8px' }}>
            You are presenting.
            <button type="button" onClick={() => c.call.stopShare()}>
              Stop sharing
            </button>
          </p>
        ) : null}
        <div className="grid" data-testid="tiles">
          {c.participants.map((p) => (
            <Tile key={p.id} p={p} host={c.state.isHost} remove={(id) => c.call.remove(id)} />
          ))}
        </div>
        <Controls c={c} pane={pane} setPane={setPane} unread={unread} knocks={knocks} />
      </div>
      {pane === 'chat' ? <Chat c={c} onClose={() => setPane(null)} /> : null}
      {pane === 'people' ? <People c={c} onClose={() => setPane(null)} /> : null}
    </div>
  )
}

/** The newest presenter's screen, letterboxed (rule 7: bound by callback ref). */
function Stage({ p }: { p: CallParticipant }): ComponentChildren {
  const { bind } = useStreamRef(p.shareStream, true)
  return (
    <div className="stage" data-testid="stage" data-participant={p.id}>
      <video ref={bind} autoPlay playsInline muted aria-label={`${p.name || 'Someone'}'s screen`} />
    </div>
  )
}

function Tile({
  p,
  host,
  remove,
}: {
  p: CallParticipant
  host: boolean
  remove: (id: string) => boolean
}): ComponentChildren {
  const [armed, press] = useTwoTap(() => remove(p.id))
  const name = p.name || (p.isSelf ? 'You' : 'Guest')
  return (
    <div
      className={p.speaking ? 'tile spk' : 'tile'}
      data-name={name}
      data-connected={String(p.connected)}
    >
      <VideoTile p={p} />
      <div className="tag">
        <span>{p.isSelf ? `${name} (you)` : name}</span>
        {p.micOn ? null : (
          <span data-testid="mic-off" role="img" aria-label="microphone off" title="Microphone off">
            <svg width="12" height="12" viewBox="0 0 24 24" fill="currentColor" aria-hidden="true">
              <path d="M19 11a7 7 0 0 1-1.2 3.9l-1.5-1.5c.4-.7.7-1.5.7-2.4zm-4-.2L9 4.8V5a3 3 0 0 1 6 0zM4.3 3 3 4.3l6 6V11a3 3 0 0 0 4.3 2.7l1.6 1.6A5 5 0 0 1 7 11H5a7 7 0 0 0 6 6.9V21h2v-3.1a7 7 0 0 0 3.4-1.4l3.3 3.3 1.3-1.3z" />
            </svg>
          </span>
        )}
        {p.connected ? null : <span>connecting…</span>}
        {p.role === 'host' ? <span>host</span> : null}
        {p.kind === 'agent' ? <span title="An AI agent">AI</span> : null}
        {host && !p.isSelf ? (
          <button type="button" className="x bad" aria-label={`Remove ${name}`} onClick={press}>
            {armed ? 'Sure?' : 'Remove'}
          </button>
        ) : null}
      </div>
    </div>
  )
}

function Controls({
  c,
  pane,
  setPane,
  unread,
  knocks,
}: {
  c: View
  pane: Pane
  setPane: (p: Pane) => void
  unread: number
  knocks: number
}): ComponentChildren {
  const [armed, leave] = useTwoTap(() => void c.call.leave())
  const [note, setNote] = useState('')
  const fail = (what: string) => (err: unknown) =>
    setNote(`${what}: ${(err as Error)?.message ?? 'failed'}`)
  const canShare = typeof globalThis.navigator?.mediaDevices?.getDisplayMedia === 'function'
  const toggle = (p: Exclude<Pane, null>) => setPane(pane === p ? null : p)
  const s = c.state
  return (
    <>
      {note ? (
        <p className="muted" role="status" style={{ padding: '0 8px' }}>
          {note}
        </p>
      ) : null}
      <div className="ctl" role="toolbar" aria-label="Call controls">
        <button
          type="button"
          className={s.micOn ? 'on' : 'off'}
          aria-pressed={s.micOn}
          aria-label={s.micOn ? 'Mute microphone (M)' : 'Unmute microphone (M)'}
          data-testid="mic"
          onClick={() => void c.call.toggleMic().then(() => setNote(''), fail('Microphone'))}
        >
          {s.micOn ? 'Mic' : 'Mic off'}
        </button>
        <button
          type="button"
          className={s.camOn ? 'on' : 'off'}
          aria-pressed={s.camOn}
          aria-label={s.camOn ? 'Turn camera off (V)' : 'Turn camera on (V)'}
          data-testid="cam"
          onClick={() => void c.call.toggleCam().then(() => setNote(''), fail('Camera'))}
        >
          {s.camOn ? 'Cam' : 'Cam off'}
        </button>
        {canShare ? (
          <button
            type="button"
            className={s.sharing ? 'on' : 'off'}
            aria-pressed={s.sharing}
            data-testid="share"
            onClick={() =>
              s.sharing
                ? c.call.stopShare()
                : void c.call.shareScreen().then(() => setNote(''), fail('Screen share'))
            }
          >
            {s.sharing ? 'Stop share' : 'Share'}
          </button>
        ) : null}
        <button
          type="button"
          aria-pressed={pane === 'chat'}
          data-testid="chat-toggle"
          onClick={() => toggle('chat')}
        >
          Chat{unread ? ` (${unread})` : ''}
        </button>
        <button
          type="button"
          aria-pressed={pane === 'people'}
          data-testid="people-toggle"
          onClick={() => toggle('people')}
        >
          People{knocks ? ` (${knocks} waiting)` : ''}
        </button>
        <button type="button" className="bad" data-testid="leave" onClick={leave}>
          {armed ? 'Leave?' : 'Leave'}
        </button>
      </div>
    </>
  )
}

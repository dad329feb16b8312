import type { View } from './view.js'
import type { ComponentChildren } from 'preact'
import { useEffect, useRef, useState } from 'preact/hooks'

function time(ts: number): string {
  const d = new Date(ts)
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`
}

/**
 * The chat pane: the room's public lines and our direct ones, newest last, and a composer with a
 * recipient picker (a direct line goes only to that participant, SPEC W10). Attribution comes
 * from the controller (the roster name of the sending link), never from the message.
 */
export function Chat({ c, onClose }: { c: View; onClose: () => void }): ComponentChildren {
  const [text, setText] = useState('')
  const [to, setTo] = useState('')
  const [error, setError] = useState('')
  const list = useRef<HTMLDivElement | null>(null)
  const self = c.state.self
  const others = c.participants.filter((p) => !p.isSelf)
  const nameOf = (id: string): string => c.participants.find((p) => p.id === id)?.name || 'Guest'

  useEffect(() => {
    const el = list.current
    if (el) el.scrollTop = el.scrollHeight
  }, [c.chat.length])
  // A recipient who left: back to everyone.
  useEffect(() => {
    if (to && !others.some((p) => p.id === to)) setTo('')
  }, [to, others])

  return (
    <aside className="side" aria-label="Chat">
      <div className="bar">
        <h2>Chat</h2>
        <button className="ic" type="button" aria-label="Close chat" onClick={onClose}>
          ✕
        </button>
      </div>
      <div className="scr" ref={list} role="log" aria-live="polite" data-testid="chat-log">
        {c.chat.length === 0 ? <p className="muted">No messages yet.</p> : null}
        {c.chat.map((line) => {
          const mine = line.from === self
          const dm = line.dm ? (mine ? ` → ${nameOf(line.to ?? '')}` : ' (private)') : ''
          return (
            <div key={`${line.from}/${line.mid}`} className={mine ? 'msg me' : 'msg'} data-chat="">
              <b>
                {mine ? 'You' : line.name || 'Guest'}
                {dm} · {time(line.ts)}
              </b>
              {line.text}
            </div>
          )
        })}
      </div>
      {error ? (
        <p className="err" role="alert" style={{ margin: '0 8px' }}>
          {error}
        </p>
      ) : null}
      <form
        className="compose"
        onSubmit={(e) => {
          e.preventDefault()
          const t = text.trim()
          if (!t) return
          try {
            c.call.sendChat(t, to || undefined)
            setText('')
            setError('')
          } catch (err) {
            setError((err as Error).message)
          }
        }}
      >
        <select
          aria-label="Send to"
          value={to}
          onChange={(e) => setTo((e.target as HTMLSelectElement).value)}
        >
          <option value="">Everyone</option>
          {others.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name || 'Guest'} (private)
            </option>
          ))}
        </select>
        <input
          type="text"
          aria-label="Message"
          placeholder="Message"
          value={text}
          maxLength={2000}
          data-testid="chat-input"
          onInput={(e) => setText((e.target as HTMLInputElement).value)}
        />
        <button className="pri" type="submit">
          Send
        </button>
      </form>
    </aside>
  )
}

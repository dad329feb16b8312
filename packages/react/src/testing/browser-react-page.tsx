import type { Call, CallOptions, ChatLine, CallParticipant } from '@kibitz/call'
import { loopbackOnly } from '@kibitz/call'
import { memo, StrictMode, useEffect, useState, type FormEvent } from 'react'
import { createRoot, type Root } from 'react-dom/client'
import { useCall, useCallEvent, useParticipant, VideoTile } from '../index.js'
import { liveControllers } from '../owned.js'

/**
 * The page side of react.browser.test.ts (bundled with `bundleForBrowser`, JSX automatic): a small
 * app on `useCall({ room, name, signalHost, … }, { autoJoin: true })` that renders its status, a
 * roster of `<VideoTile>`s and a chat, configured from the URL query:
 * `?room=…&name=…&signal=<broker url>&strict=1&ping=<ms>&unmount=<status kind>`. The test drives and reads it through
 * the DOM; `window.kibReact` only exposes counters (renders, statuses, live owned controllers) and
 * unmount.
 */

export interface KibReactPage {
  /** Renders of the app (the `useCall` consumer), the memoized roster, and the self badge. */
  renders(): { app: number; list: number; self: number }
  /** Chat texts the app heard through `useCallEvent(call, 'chat', …)`. */
  heard(): string[]
  /** Every status kind the app committed, in order. */
  statuses(): string[]
  /** Owned controllers not yet destroyed (StrictMode must leave exactly one). */
  live(): number
  unmount(): void
}

declare global {
  interface Window {
    kibReact: KibReactPage
  }
}

const renders = { app: 0, list: 0, self: 0 }
const heard: string[] = []
let unmounted = false
const statuses: string[] = []

const Roster = memo(function Roster({ people }: { people: readonly CallParticipant[] }) {
  renders.list++
  return (
    <ul data-part="roster">
      {people.map((p) => (
        <li key={p.id} data-name={p.name} data-connected={p.connected ? 'true' : 'false'}>
          <VideoTile participant={p} />
          <span>{p.name}</span>
        </li>
      ))}
    </ul>
  )
})

/** Only our own roster entry (`useParticipant`): someone else's change must not render it. */
const SelfBadge = memo(function SelfBadge({ call, id }: { call: Call | null; id: string | null }) {
  const me = useParticipant(call, id)
  renders.self++
  return (
    <p data-part="self-badge" data-cam={me?.camOn ? 'on' : 'off'}>
      {me?.name ?? ''}
    </p>
  )
})

function Chat({ lines, send }: { lines: readonly ChatLine[]; send: (text: string) => void }) {
  const [text, setText] = useState('')
  const submit = (e: FormEvent) => {
    e.preventDefault()
    if (!text) return
    send(text)
    setText('')
  }
  return (
    <form onSubmit={submit}>
      <ol data-part="chat">
        {lines.map((l) => (
          <li key={`${l.from}/${l.mid}`} data-self={l.isSelf ? 'true' : 'false'}>
            {`${l.name}: ${l.text}`}
          </li>
        ))}
      </ol>
      <input name="chat" value={text} onChange={(e) => setText(e.target.value)} />
      <button type="submit">Send</button>
    </form>
  )
}

function App({ options }: { options: CallOptions }) {
  const { call, status, state, participants, chat, sendChat, toggleCam } = useCall(options, {
    autoJoin: true,
  })
  renders.app++
  // A new callback every render: the subscription must stay one, calling the latest.
  useCallEvent(call, 'chat', (line) => heard.push(line.text))
  useEffect(() => {
    statuses.push(status.kind)
    // `?unmount=<kind>`: the app goes away as soon as it reaches that status.
    if (status.kind === q.get('unmount') && !unmounted) {
      unmounted = true
      setTimeout(() => root.unmount(), 0)
    }
  }, [status])
  return (
    <main data-status={status.kind} data-self={state.self ?? ''}>
      <button type="button" data-action="cam" onClick={() => void toggleCam()}>
        {state.camOn ? 'Camera off' : 'Camera on'}
      </button>
      <SelfBadge call={call} id={state.self} />
      <Roster people={participants} />
      <Chat lines={chat} send={(text) => sendChat(text)} />
    </main>
  )
}

const q = new URLSearchParams(location.search)
const ping = Number(q.get('ping') ?? 500)
const options: CallOptions = {
  room: q.get('room') ?? '',
  name: q.get('name') ?? '',
  signalHost: q.get('signal') ?? '',
  candidateFilter: loopbackOnly,
  timing: { pingMs: ping, reapMs: ping * 10, freezeGuardMs: ping * 5 },
}
const host = document.createElement('div')
document.body.append(host)
const root: Root = createRoot(host)
const app = <App options={options} />
root.render(q.get('strict') === '1' ? <StrictMode>{app}</StrictMode> : app)

window.kibReact = {
  renders: () => ({ ...renders }),
  statuses: () => [...statuses],
  heard: () => [...heard],
  live: liveControllers,
  unmount: () => {
    unmounted = true
    root.unmount()
  },
}

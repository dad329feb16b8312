import { ACT, PERCEIVE, type CallParticipant, type Grant } from '@kibitz/call'
import { useTwoTap, type View } from './view.js'
import type { ComponentChildren } from 'preact'
import { useEffect, useReducer, useState } from 'preact/hooks'

const LABEL: Record<string, string> = {
  'see-screen': 'See screen',
  'hear-audio': 'Hear audio',
  'read-chat': 'Read chat',
  'read-roster': 'See who is here',
  'receive-directed': 'Receive direct data',
  'send-chat': 'Send chat',
  speak: 'Speak / show video',
  act: 'Act (app data)',
}

/**
 * People and host tools (SPEC W11): everyone in the call; for the host, the lobby switch, the
 * lock, the knock queue (admit / deny), remove, reset, and a consent panel per participant — their
 * grant as toggles plus this browser's audit feed for them. Agents' panels start open: that is
 * where a host decides what an AI may see and do.
 */
export function People({ c, onClose }: { c: View; onClose: () => void }): ComponentChildren {
  const host = c.state.isHost
  const [armed, reset] = useTwoTap(() => void c.call.resetRoom())
  return (
    <aside className="side" aria-label="People">
      <div className="bar">
        <h2>People ({c.participants.length})</h2>
        <button className="ic" type="button" aria-label="Close people" onClick={onClose}>
          ✕
        </button>
      </div>
      <div className="scr" data-testid="people">
        {host ? (
          <>
            <h3>Host tools</h3>
            <label className="row">
              <input
                type="checkbox"
                checked={c.state.lobbyOn}
                data-testid="lobby-toggle"
                onChange={(e) => c.call.setLobby((e.target as HTMLInputElement).checked)}
              />
              Waiting room: new people knock first
            </label>
            <label className="row">
              <input
                type="checkbox"
                checked={c.state.locked}
                data-testid="lock-toggle"
                onChange={(e) => c.call.setLocked((e.target as HTMLInputElement).checked)}
              />
              Lock the room
            </label>
            <div className="row">
              <button type="button" onClick={reset}>
                {armed ? 'Clear everyone’s chat?' : 'Reset chat'}
              </button>
            </div>
            <h3>Waiting ({c.knocks.length})</h3>
            {c.knocks.length === 0 ? <p className="muted">Nobody is waiting.</p> : null}
            <ul className="list" data-testid="knocks">
              {c.knocks.map((k) => (
                <li key={k.id}>
                  <span>
                    {k.avatar} {k.name || 'Guest'}
                  </span>
                  <button type="button" className="pri" onClick={() => c.call.admit(k.id)}>
                    Admit
                  </button>
                  <button type="button" onClick={() => c.call.deny(k.id)}>
                    Deny
                  </button>
                </li>
              ))}
            </ul>
          </>
        ) : null}
        <h3>In the call</h3>
        <ul className="list">
          {c.participants.map((p) => (
            <Person key={p.id} c={c} p={p} host={host} />
          ))}
        </ul>
      </div>
    </aside>
  )
}

function Person({ c, p, host }: { c: View; p: CallParticipant; host: boolean }): ComponentChildren {
  const [open, setOpen] = useState(p.kind === 'agent')
  const [armed, remove] = useTwoTap(() => c.call.remove(p.id))
  const name = p.name || 'Guest'
  return (
    <li style={{ flexDirection: 'column', alignItems: 'stretch' }} data-person={p.id}>
      <div className="row">
        <span style={{ flex: 1 }}>
          {name}
          {p.isSelf ? ' (you)' : ''}
          {p.role === 'host' ? ' · host' : ''}
          {p.kind === 'agent' ? ' · AI' : ''}
          {p.connected ? '' : ' · connecting'}
        </span>
        {!p.isSelf ? (
          <button type="button" aria-expanded={open} onClick={() => setOpen(!open)}>
            Permissions
          </button>
        ) : null}
        {host && !p.isSelf ? (
          <button type="button" className="bad" onClick={remove}>
            {armed ? 'Sure?' : 'Remove'}
          </button>
        ) : null}
      </div>
      {open && !p.isSelf ? <Consent c={c} p={p} host={host} /> : null}
    </li>
  )
}

/** One participant's grant (editable by the host) and the local audit feed about them. */
function Consent({
  c,
  p,
  host,
}: {
  c: View
  p: CallParticipant
  host: boolean
}): ComponentChildren {
  const call = c.call
  // Grants and the audit feed change without a snapshot change: re-read on `grant` and every 2 s.
  const [, tick] = useReducer((n: number) => n + 1, 0)
  useEffect(() => {
    const off = call.on('grant', tick)
    const t = setInterval(tick, 2000)
    return () => {
      off()
      clearInterval(t)
    }
  }, [call])
  const grant = call.getCapabilityGrant(p.id)
  if (!grant) return null
  const audit = call.getAgentAudit(p.id).slice(-20).reverse()
  const has = (cap: string): boolean =>
    (grant.perceive as readonly string[]).includes(cap) ||
    (grant.act as readonly string[]).includes(cap)
  const set = (cap: string, on: boolean): void => {
    const next: Grant = {
      ...grant,
      perceive: PERCEIVE.filter((x) => (x === cap ? on : has(x))),
      act: ACT.filter((x) => (x === cap ? on : has(x))),
    }
    call.setCapabilityGrant(p.id, next)
  }
  return (
    <div data-testid="consent">
      {grant.backend || grant.egress ? (
        <p className="muted">
          {grant.backend ? `Model: ${grant.backend}. ` : ''}
          {grant.egress ? 'What it perceives leaves the room.' : ''}
        </p>
      ) : null}
      <div className="caps">
        {[...PERCEIVE, ...ACT].map((cap) => (
          <label key={cap}>
            <input
              type="checkbox"
              checked={has(cap)}
              disabled={!host}
              data-cap={cap}
              onChange={(e) => set(cap, (e.target as HTMLInputElement).checked)}
            />
            {LABEL[cap] ?? cap}
          </label>
        ))}
      </div>
      {host ? null : <p className="muted">Only the host can change permissions.</p>}
      <div className="audit" aria-label="Audit">
        {audit.length === 0 ? 'No audit entries.' : null}
        {audit.map((a, i) => (
          <div key={i}>
            {new Date(a.at).toLocaleTimeString()} {a.kind}
            {a.capability ? ` ${a.capability}` : ''}
            {a.detail ? `: ${a.detail}` : ''}
          </div>
        ))}
      </div>
    </div>
  )
}

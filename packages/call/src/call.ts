import {
  createAuditLog,
  MEDIA_LANES,
  perceiveFor,
  sanitizeGrant,
  toWire,
} from '@kibitz/capabilities'
import { createMesh, fetchIceServers, type Mesh, type MeshSignaling } from '@kibitz/mesh'
import { createRoom, type Room } from '@kibitz/presence'
import { connectBroker } from '@kibitz/presence/socket-io'
import {
  asBytes,
  decodeContent,
  Emitter,
  ErrorCode,
  KibitzError,
  MAX_CHAT_CHARS,
  normalizeRoomId,
  realClock,
  type ContentMessage,
  type JsonValue,
  type MediaLane,
  type SignalMessage,
} from '@kibitz/protocol'
import { ChatLog } from './chat.js'
import { APP_JSON_LIMIT, ContentPlane } from './content.js'
import { GrantBook } from './grants.js'
import { LocalMedia } from './local-media.js'
import { RemoteStreams } from './remote-streams.js'
import { SchemaRegistry } from './schemas.js'
import { createSpeakingDetector, type SpeakingDetector } from './speaking.js'
import type { Call, CallEvents, CallOptions, CallSnapshot, MessageListener } from './types.js'
import {
  browserDevices,
  browserWrtc,
  defaultPlaceholders,
  pageOrigin,
  pick,
  randomIdentity,
  shallowEqual,
} from './env.js'
import { PRESENTING, buildSnapshot, jsonKey, snapshotKey, statusOf } from './view.js'

interface Session {
  room: Room
  mesh: Mesh | null
  /** Null until `/api/turn` answered (or failed: then `[]`). */
  iceServers: RTCIceServer[] | null
  /**
   * Signals that came before the mesh existed (a peer's offer can ride right behind the roster,
   * while `/api/turn` is still answering), handed to the mesh when it starts.
   */
  early: { from: string; message: SignalMessage }[]
  offs: (() => void)[]
}

/** Signals kept for a mesh not started yet; older ones are dropped first. */
const MAX_EARLY_SIGNALS = 64

/** How long `join()` waits after presence started for the roster (or a lobby answer). */
const ROSTER_WAIT_MS = 10_000

/** Resolves once the room is past `connecting` (rostered, waiting or refused), or after `ms`. */
function settled(room: Room, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer)
      off()
      resolve()
    }
    const check = (): void => {
      if (statusOf(room.getSnapshot(), false) !== 'connecting') done()
    }
    const timer = setTimeout(done, ms)
    const off = room.subscribe(check)
    check()
  })
}

export function createCall(options: CallOptions): Call {
  const normalized = normalizeRoomId(options.room)
  if (!normalized.ok) throw normalized.error
  const roomId = normalized.value
  const clock = realClock
  const preview = options.preview === true
  const identity = options.identity ?? randomIdentity()
  let profile = { name: options.name ?? '', avatar: options.avatar ?? '', meta: options.meta ?? {} }
  /** When our current screen share started (ms), or null: rides the roster as `meta.presenting`. */
  let sharingSince: number | null = null
  /** Our roster meta: the app's own, plus `presenting` while we share (SPEC K14). */
  const wireMeta = (): Record<string, unknown> =>
    sharingSince === null ? profile.meta : { ...profile.meta, [PRESENTING]: sharingSince }
  const events = new Emitter<CallEvents>()
  const listeners = new Set<() => void>()
  const messageListeners = new Set<MessageListener>()
  const audit = createAuditLog()
  const grants = new GrantBook(audit, () => clock.now(), (options.host?.kind ?? 'none') !== 'none')
  const chat = new ChatLog()
  const schemas = new SchemaRegistry()
  const devices = options.mediaDevices !== undefined ? options.mediaDevices : browserDevices()
  const placeholders = options.placeholder === undefined ? defaultPlaceholders() : null
  const placeholder =
    options.placeholder !== undefined ? options.placeholder : (placeholders?.placeholder ?? null)
  /** Media lanes ride every link only where placeholders can be made (browsers, roam). */
  const mediaOn = placeholder !== null
  const remote = new RemoteStreams()
  let session: Session | null = null
  let error: KibitzError | null = null
  let expiryTimer: ReturnType<typeof setTimeout> | null = null
  let speaking: ReadonlySet<string> = new Set()
  const detector: SpeakingDetector | null = createSpeakingDetector((ids) => {
    speaking = ids
    events.emit('speaking', [...ids])
    refresh()
  })

  const media = new LocalMedia(
    devices,
    (lane, track) => publish(lane, track),
    () => {
      session?.room.setMedia({ cam: media.camOn, mic: media.micOn })
      if (media.sharing !== (sharingSince !== null)) {
        sharingSince = media.sharing ? clock.now() : null
        session?.room.setMeta(wireMeta())
      }
      meterSelf()
      refresh()
    },
  )

  const content = new ContentPlane({
    mesh: () => session?.mesh ?? null,
    self: selfId,
    grants,
    audit,
    now: () => clock.now(),
    dropped: (from, err) => events.emit('error', { peer: from, error: err }),
  })

  /** Our own mic is metered under our socket id (which we learn after capture may start). */
  let meteredSelf: string | null = null
  function meterSelf(): void {
    const self = selfId()
    if (meteredSelf !== null && meteredSelf !== self) detector?.watch(meteredSelf, null)
    meteredSelf = self
    if (self !== null) detector?.watch(self, media.track('audio'))
  }

  /**
   * Peers are metered only while their roster entry says their mic is on: a muted peer's lane
   * carries the silent placeholder, and metering it would cost an audio graph (and a muted
   * `<audio>` element) per peer for nothing.
   */
  function meterPeers(): void {
    if (!detector || !session) return
    for (const p of session.room.getSnapshot().participants) {
      if (!p.isSelf) detector.watch(p.id, p.mic ? remote.track(p.id, 'audio') : null)
    }
  }

  function selfId(): string | null {
    return session?.room.getSnapshot().self ?? null
  }

  // ── the view ──────────────────────────────────────────────────────────────────────────────

  let snapshot = view()
  let key = snapshotKey(snapshot)

  function view(): CallSnapshot {
    const mesh = session?.mesh ?? null
    return buildSnapshot({
      room: session?.room.getSnapshot() ?? null,
      preview,
      media: { ...pick(media), preview: media.preview() },
      connected: new Set(mesh?.connectedPeers() ?? []),
      speaking,
      streams: (id) => remote.streams(id),
      maySpeak: (id) => grants.can(id, 'speak'),
      chat: chat.lines,
      error,
    })
  }

  function refresh(): void {
    const next = view()
    const nextKey = snapshotKey(next)
    if (nextKey === key) return
    const before = snapshot
    snapshot = next
    key = nextKey
    const prev = new Map(before.participants.map((p) => [p.id, p]))
    const now = new Map(next.participants.map((p) => [p.id, p]))
    for (const [id, p] of now) if (!prev.has(id)) events.emit('join', p)
    for (const [id, p] of prev) if (!now.has(id)) events.emit('leave', p)
    if (jsonKey(before.participants) !== jsonKey(next.participants)) {
      events.emit('participants', next.participants)
    }
    if (JSON.stringify(before.state) !== JSON.stringify(next.state))
      events.emit('state', next.state)
    if (JSON.stringify(before.knocks) !== JSON.stringify(next.knocks)) {
      events.emit('knocks', next.knocks)
    }
    if (before.state.lobbyStatus !== next.state.lobbyStatus) {
      events.emit('lobby', next.state.lobbyStatus)
    }
    for (const l of [...listeners]) l()
  }

  // ── roster → mesh, grants and gates ────────────────────────────────────────────────────────

  function onRoomChange(): void {
    const s = session
    if (!s) return
    const rs = s.room.getSnapshot()
    for (const id of grants.update(rs)) {
      events.emit('grant', { id, grant: grants.of(id) })
    }
    const joined = rs.phase === 'joined' && rs.participants.some((p) => p.isSelf)
    // A newcomer that will dial the authority (mesh M5: the smaller id dials) starts its mesh as
    // soon as the broker has named both, before its first roster: the spare offer (M41) is then
    // ready when the roster arrives. One that will answer waits for the roster, as a spare it
    // cannot use would only compete with its answer for the CPU. The mesh waits for the ICE
    // servers (fetched while presence starts): links never rebuild for them.
    //
    // Waiting in a lobby, or turned away: no mesh at all, not even a spare offer kept warm.
    const outside = !joined && rs.lobby !== null && rs.lobby !== 'admitted'
    const dials =
      !outside &&
      rs.phase === 'joined' &&
      rs.self !== null &&
      rs.authority !== null &&
      rs.self < rs.authority
    if (outside && s.mesh) {
      void s.mesh.close()
      s.mesh = null
    }
    if ((joined || dials) && rs.self && s.iceServers && s.mesh?.self !== rs.self)
      startMesh(s, rs.self)
    const others = joined ? rs.participants.filter((p) => !p.isSelf).map((p) => p.id) : []
    // And it dials at once (presence R21 early dial): its offer reaches the authority with its
    // announce, not a roster later. The authority holds it until it admits us, and drops it if
    // we knock (our mesh then goes, above).
    const early = !joined && dials && rs.lobby === null ? rs.authority : null
    // Until the roster says what the authority may perceive, it gets placeholders only: gated
    // before its link exists, so no real frame leaves first (mesh M35).
    if (early && mediaOn) s.mesh?.setGate(early, [...MEDIA_LANES])
    s.mesh?.setPeers(early ? [early] : others)
    schemas.retain(new Set(others))
    remote.retain(new Set(others))
    detector?.retain(new Set([...others, ...(rs.self ? [rs.self] : [])]))
    meterSelf()
    meterPeers()
    applyGates()
    scheduleExpiry()
    refresh()
  }

  /** Perceive, enforced by the sender: lanes a peer may not see or hear get the placeholder. */
  function applyGates(): void {
    const s = session
    const mesh = s?.mesh
    if (!s || !mesh || !mediaOn) return
    for (const p of s.room.getSnapshot().participants) {
      if (p.isSelf) continue
      const id = p.id
      mesh.setGate(
        id,
        MEDIA_LANES.filter((lane) => !grants.can(id, perceiveFor(lane)!)),
      )
    }
    // Our own act: without `speak` nothing of ours is published (placeholders only).
    for (const lane of MEDIA_LANES) publish(lane, media.track(lane))
  }

  function publish(lane: MediaLane, track: MediaStreamTrack | null): void {
    const mesh = session?.mesh
    if (!mesh || !mediaOn) return
    const self = selfId()
    mesh.setTrack(lane, self !== null && grants.can(self, 'speak') ? track : null)
  }

  function scheduleExpiry(): void {
    if (expiryTimer !== null) clearTimeout(expiryTimer)
    expiryTimer = null
    const at = grants.nextExpiry()
    if (at === null) return
    expiryTimer = setTimeout(
      () => {
        expiryTimer = null
        onRoomChange()
      },
      Math.max(0, at - clock.now()) + 5,
    )
  }

  function startMesh(s: Session, self: string): void {
    if (s.mesh) void s.mesh.close()
    const oldSelf = s.mesh?.self
    if (oldSelf) chat.rekeySelf(oldSelf, self)
    const signaling: MeshSignaling = {
      send: (to, message) => s.room.sendSignal(to, message),
      onSignal: (cb) => {
        // What came before the mesh existed first, in order (the mesh keeps signals from peers
        // it has not been given yet until `setPeers` names them).
        for (const { from, message } of s.early.splice(0)) cb(from, message)
        return s.room.on('signal', ({ from, message }) => cb(from, message))
      },
    }
    const mesh = createMesh({
      self,
      signaling,
      ...(options.wrtc ? { wrtc: options.wrtc } : { wrtc: browserWrtc() }),
      iceServers: s.iceServers ?? [],
      relayOnly: options.relayOnly === true,
      ...(options.candidateFilter ? { candidateFilter: options.candidateFilter } : {}),
      ...(placeholder ? { media: { placeholder } } : {}),
      limits: { maxJsonBytes: APP_JSON_LIMIT },
      // In a page, an offer is ready before the first peer appears (M41).
      prewarm: options.wrtc === undefined,
      ...options.meshOptions,
    })
    s.mesh = mesh
    mesh.onMessage((value, from) => onMeshMessage(value, from))
    mesh.on('open', ({ peer }) => {
      replayTo(peer)
      refresh()
    })
    mesh.on('close', () => refresh())
    mesh.on('error', (e) => events.emit('error', e))
    mesh.on('track', ({ peer, lane, track }) => {
      remote.setTrack(peer, lane, track)
      if (lane === 'audio') meterPeers()
      refresh()
    })
    applyGates()
  }

  /** A late joiner gets our recent public chat and our schemas (SPEC K9, K10). */
  function replayTo(peer: string): void {
    const self = selfId()
    if (!self) return
    try {
      for (const line of chat.replay(self)) content.send(line, peer)
      for (const s of schemas.own()) content.send(s, peer)
    } catch (err) {
      // Our own grant lacks send-chat: nothing to replay (already audited).
      if (!(err instanceof KibitzError)) throw err
    }
  }

  function onMeshMessage(value: Parameters<MessageListener>[0], from: string): void {
    const item = content.receive(value, from)
    if (!item) return
    if (item.kind === 'binary') return deliver(item.data, from)
    const m = item.message
    switch (m.k) {
      case 'app':
        return deliver(m.data as JsonValue, from)
      case 'chat': {
        const who = session?.room.getSnapshot().participants.find((p) => p.id === from)
        const line = chat.receive(from, who?.name ?? '', m, clock.now())
        if (line) {
          events.emit('chat', line)
          refresh()
        }
        return
      }
      case 'schema':
        if (schemas.receive(from, m)) {
          const entry = schemas
            .list(selfId() ?? '')
            .find((e) => e.from === from && e.name === m.name)
          if (entry) events.emit('schema', entry)
        }
        return
      default:
        // ink, pay, idtoken, transfers: the layers that speak them subscribe later.
        return
    }
  }

  function deliver(data: JsonValue | Uint8Array, from: string): void {
    for (const cb of [...messageListeners]) {
      try {
        cb(data, from)
      } catch (err) {
        console.error('[kibitz] onMessage listener threw', err)
      }
    }
  }

  // ── joining ───────────────────────────────────────────────────────────────────────────────

  async function join(opts: { mic?: boolean; cam?: boolean } = {}): Promise<void> {
    if (session) return
    error = null
    if (preview) {
      await applyDevices(opts)
      refresh()
      return
    }
    const signalHost = options.signalHost ?? pageOrigin()
    if (!signalHost) {
      throw new KibitzError(ErrorCode.NOT_CONFIGURED, 'createCall needs signalHost outside a page')
    }
    const room = createRoom({
      room: roomId,
      connect: (tag, handshake) => {
        // The engine joins and claims in one flight: both ride the handshake (broker B21), and
        // so does our first announce (B22).
        const transport = connectBroker(signalHost, tag, {
          handshake: { claim: true, announce: handshake.announce },
        })
        // The socket is opening: do the page's other start-up work while its handshake runs
        // (ahead of it, the first fetch and the first AudioContext each held the page for tens
        // of ms before the socket even existed: bench mesh, first frame).
        setTimeout(() => {
          if (session !== s) return
          void iceServers()
          warmPlaceholders()
        }, 0)
        return transport
      },
      name: profile.name,
      identity,
      meta: wireMeta(),
      ...(profile.avatar ? { avatar: profile.avatar } : {}),
      cam: false,
      mic: false,
      ...(options.host ? { host: options.host } : {}),
      ...(options.timing ? { timing: options.timing } : {}),
    })
    const s: Session = { room, mesh: null, iceServers: null, early: [], offs: [] }
    let ice: ReturnType<typeof fetchIceServers> | null = null
    const iceServers = () =>
      (ice ??= fetchIceServers({
        turnHost: options.turnHost ?? signalHost,
        ...(options.licenseKey ? { licenseKey: options.licenseKey } : {}),
        ...(options.grant ? { grant: options.grant } : {}),
      }))
    session = s
    s.offs.push(
      room.on('signal', (signal) => {
        if (s.mesh) return
        s.early.push(signal)
        if (s.early.length > MAX_EARLY_SIGNALS) s.early.shift()
      }),
      room.subscribe(onRoomChange),
      room.on('reset', () => {
        chat.clear()
        events.emit('reset', {})
        refresh()
      }),
    )
    refresh()
    // Presence first (its socket opens as soon as the room keys exist), then the capture: the
    // camera is ready when the first link opens.
    const started = room.start()
    const devices = applyDevices(opts)
    try {
      await started
    } catch (err) {
      error = err instanceof KibitzError ? err : new KibitzError(ErrorCode.INTERNAL, String(err))
      await devices
      await teardown()
      throw error
    }
    const iceResult = await iceServers()
    if (session !== s) {
      await devices
      media.stopAll()
      return
    }
    s.iceServers = iceResult.ok ? iceResult.value.iceServers : []
    onRoomChange()
    // `start()` resolves once we hold a role; K2 promises more: on the roster (or in the lobby).
    await settled(room, ROSTER_WAIT_MS)
    await devices
    // Left while the devices were opening: nothing may stay captured.
    if (session !== s) media.stopAll()
  }

  /**
   * Make our own placeholders (cached per kind) before the first link needs them: a page's first
   * AudioContext can take tens of ms, which on the roster's path delayed the roster and the first
   * offer. A caller's factory is only called when links need it.
   */
  function warmPlaceholders(): void {
    if (!placeholders) return
    for (const kind of ['audio', 'video'] as const) placeholders.placeholder(kind)
  }

  async function applyDevices(opts: { mic?: boolean; cam?: boolean }): Promise<void> {
    try {
      if (opts.mic) await media.setMic(true)
      if (opts.cam) await media.setCam(true)
    } catch (err) {
      if (!(err instanceof KibitzError)) throw err
      events.emit('error', { peer: null, error: err })
    }
  }

  async function teardown(): Promise<void> {
    const s = session
    session = null
    if (expiryTimer !== null) clearTimeout(expiryTimer)
    expiryTimer = null
    media.stopAll()
    if (!s) return refresh()
    for (const off of s.offs.splice(0)) off()
    await s.mesh?.close()
    await s.room.leave().catch(() => undefined)
    remote.retain(new Set())
    detector?.retain(new Set())
    meteredSelf = null
    refresh()
  }

  function requireSession(): Session | null {
    return session && session.room.getSnapshot().phase === 'joined' ? session : null
  }

  function toPayload(data: unknown): ContentMessage | Uint8Array {
    const bytes = asBytes(data)
    if (bytes) return bytes
    // No copy here: the mesh sanitizes while it encodes (one pass), and its JSON limit is exactly
    // the app payload limit plus this envelope (APP_JSON_LIMIT), so the 256 KiB cap holds.
    return { k: 'app', data: data as JsonValue }
  }

  function memberId(id: string): string {
    const s = session?.room.getSnapshot()
    if (typeof id !== 'string' || !s?.participants.some((p) => p.id === id && !p.isSelf)) {
      throw new KibitzError(ErrorCode.NO_SUCH_PEER, `no participant ${String(id)}`)
    }
    return id
  }

  return {
    room: roomId,
    getState: () => snapshot.state,
    getParticipants: () => snapshot.participants,
    getSnapshot: () => snapshot,
    subscribe(listener) {
      listeners.add(listener)
      return () => void listeners.delete(listener)
    },
    on: (event, cb) => events.on(event, cb),
    join,
    leave: teardown,
    async destroy() {
      await teardown()
      detector?.stop()
      placeholders?.stop()
      events.clear()
      listeners.clear()
      messageListeners.clear()
    },
    async toggleMic() {
      await media.setMic(!media.micOn)
      return media.micOn
    },
    async toggleCam() {
      await media.setCam(!media.camOn)
      return media.camOn
    },
    shareScreen: () => media.shareScreen(),
    shareTrack: (track) => media.shareTrack(track),
    stopShare: () => media.stopShare(),
    setName(name) {
      profile = { ...profile, name: String(name) }
      session?.room.setName(profile.name)
    },
    setAvatar(avatar) {
      profile = { ...profile, avatar: String(avatar) }
      session?.room.setAvatar(profile.avatar)
    },
    setMeta(meta) {
      // Loop guard: an app that re-sets the same meta on every roster change must not churn.
      if (shallowEqual(meta, profile.meta)) return
      profile = { ...profile, meta: { ...meta } }
      session?.room.setMeta(wireMeta())
    },
    broadcast(data) {
      if (!requireSession()) return false
      return content.send(toPayload(data)).sent.length > 0
    },
    sendTo(id, data) {
      if (!requireSession()) return false
      return content.send(toPayload(data), memberId(id)).sent.length > 0
    },
    onMessage(cb) {
      messageListeners.add(cb)
      return () => void messageListeners.delete(cb)
    },
    sendChat(text, to) {
      if (typeof text !== 'string' || text.length === 0) {
        throw new KibitzError(ErrorCode.BAD_MESSAGE, 'chat text must be a non-empty string')
      }
      if (text.length > MAX_CHAT_CHARS) {
        throw new KibitzError(ErrorCode.TOO_LARGE, `chat text over ${MAX_CHAT_CHARS} chars`)
      }
      const s = requireSession()
      const self = selfId()
      if (!s || !self) throw new KibitzError(ErrorCode.NOT_IN_ROOM, 'join the call first')
      const target = to === undefined ? undefined : memberId(to)
      const draft = { k: 'chat' as const, text, ts: clock.now(), ...(target ? { dm: true } : {}) }
      content.assertMayAct('chat')
      const line = chat.own(self, profile.name, text, draft.ts, target)
      content.send({ ...draft, mid: line.mid }, target)
      refresh()
      return line
    },
    getChat: () => chat.lines,
    getKnocks: () => snapshot.knocks,
    setLobby: (on) => session?.room.setLobby(on) ?? false,
    admit: (id) => session?.room.admit(id) ?? false,
    deny: (id) => session?.room.deny(id) ?? false,
    remove: (id) => session?.room.remove(id) ?? false,
    setLocked: (on) => session?.room.setLocked(on) ?? false,
    resetRoom: () => session?.room.resetRoom() ?? false,
    knock(name, avatar) {
      profile = { ...profile, name: String(name), ...(avatar !== undefined ? { avatar } : {}) }
      if (session) session.room.knock(profile.name, profile.avatar)
      else void join().catch((err) => events.emit('error', { peer: null, error: err }))
    },
    getCapabilityGrant(id) {
      return snapshot.participants.some((p) => p.id === id) ? grants.of(id) : null
    },
    setCapabilityGrant(id, grant) {
      const room = session?.room
      if (!room) return false
      if (grant === null) return room.setGrant(id, null)
      const wire = toWire({ [id]: sanitizeGrant(grant) })[id]
      return wire ? room.setGrant(id, wire) : false
    },
    getAgentAudit: (id) => (id === undefined ? audit.entries() : audit.forPeer(id)),
    registerSchema(input) {
      const decoded = decodeContent({ k: 'schema', ...input })
      if (!decoded.ok) throw decoded.error
      if (!decoded.value.known || decoded.value.message.k !== 'schema') return
      const message = decoded.value.message
      if (!schemas.register(message)) {
        throw new KibitzError(ErrorCode.TOO_LARGE, 'too many schemas registered')
      }
      if (requireSession()) content.send(message)
    },
    getSchemas: () => schemas.list(selfId() ?? ''),
    onSchema: (cb) => events.on('schema', cb),
    connectedPeers: () => session?.mesh?.connectedPeers() ?? [],
  }
}

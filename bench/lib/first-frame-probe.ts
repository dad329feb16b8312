/**
 * Opt-in start-up trace for the Kibitz first-frame page (`KIBITZ_BENCH_TRACE=1`, which adds
 * `trace=1` to the page URL). Imported first by the page, so it patches the browser APIs before
 * any library module evaluates and keeps a reference to them (socket.io-client reads `WebSocket`
 * at import). Marks are ms since navigation, the first time each is reached:
 *
 * - `ws0`/`ws` before/after `new WebSocket`, `wsopen`, `txN:<what>`/`rxN:<what>` the Nth message
 *   sent/received (`what` = the engine.io packet of a text message, else the socket.io event or
 *   `ack`);
 * - `fetch`/`fetchret`/`fetched`: `fetch()` called, returned (its synchronous cost), answered;
 * - `gum`/`gumret`/`gumok`: the same for `getUserMedia`;
 * - `decN>`/`decN<:<t>`: the Nth WebCrypto decrypt (a sealed frame opened) and the message's `t`
 *   (an `sdp`'s type), `encN:<t>` the Nth encrypt (a frame sealed);
 * - `createOffer>`/`<`, `createAnswer`, `setLocalDescription`, `setRemoteDescription`,
 *   `addTransceiver`, `rtN>kind`/`rtN<` (`replaceTrack`): the connection's operations;
 * - `ac<at>` = ms a `new AudioContext()` held the page; `long<at>` = a long task's duration;
 * - the same synchronous cost for `pcnew<at>` (`new RTCPeerConnection`), `cs<at>` (a canvas's
 *   `captureStream`) and `msd<at>` (`createMediaStreamDestination`); `atx` = the summed cost of
 *   every `addTransceiver` and `atxN` their count;
 *
 * Without `trace=1` it does nothing.
 */
export const traceMarks: Record<string, number> = {}

/**
 * Every sealed frame sent and received on the page's WebSockets, as `[key, epoch ms]`. A broker
 * message (`brokerParser`, protocol/broker-codec.ts) carries the sealed envelope as its first
 * attachment, and an envelope ends in its AES-GCM tag: the tag's last 8 bytes in hex are the key,
 * the same on the sending and the receiving page whatever the broker wrapped around it.
 */
export interface TraceWire {
  tx: [string, number][]
  rx: [string, number][]
}

declare global {
  interface Window {
    firstFrameWire?: TraceWire
  }
}

function tailKey(data: unknown): string | null {
  if (!(data instanceof ArrayBuffer) && !ArrayBuffer.isView(data)) return null
  const bytes =
    data instanceof ArrayBuffer
      ? new Uint8Array(data)
      : new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  // [u8 type][u32 ack][u8 nsp length][nsp][u8 count][u32 length × count][attachments…]
  let at = 5
  if (bytes.byteLength < at + 2) return null
  at += 1 + bytes[at]!
  const count = bytes[at] ?? 0
  at += 1
  if (count < 1 || bytes.byteLength < at + 4 * count) return null
  const length = view.getUint32(at, true)
  const start = at + 4 * count
  if (length < 8 || bytes.byteLength < start + length) return null
  return Array.from(bytes.subarray(start + length - 8, start + length), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('')
}

const ENGINE_IO = ['open', 'close', 'ping', 'pong', 'message', 'upgrade', 'noop']

/** What a WebSocket message is: `eio-<packet>` for engine.io text, else the socket.io event. */
function wireLabel(data: unknown): string {
  if (typeof data === 'string') return `eio-${ENGINE_IO[Number(data[0])] ?? '?'}`
  if (!(data instanceof ArrayBuffer) && !ArrayBuffer.isView(data)) return '?'
  const bytes =
    data instanceof ArrayBuffer
      ? new Uint8Array(data)
      : new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  const type = (bytes[0] ?? 0) & 0x0f
  if (type === 0) return 'connect'
  if (type === 3 || type === 6) return 'ack'
  // [type][u32 ack][u8 nsp length][nsp][u8 count][u32 × count][attachments][JSON data]
  let at = 5
  at += 1 + (bytes[at] ?? 0)
  const count = bytes[at] ?? 0
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let skip = 0
  for (let i = 0; i < count && at + 1 + 4 * (i + 1) <= bytes.byteLength; i++)
    skip += view.getUint32(at + 1 + 4 * i, true)
  const json = new TextDecoder().decode(bytes.subarray(at + 1 + 4 * count + skip))
  return /^\["([\w-]+)"/.exec(json)?.[1] ?? '?'
}

/** A sealed message's kind from its JSON plaintext: `t`, and an `sdp`'s type. */
function sealedLabel(plain: ArrayBuffer | ArrayBufferView): string {
  const bytes =
    plain instanceof ArrayBuffer
      ? new Uint8Array(plain)
      : new Uint8Array(plain.buffer, plain.byteOffset, plain.byteLength)
  const text = new TextDecoder().decode(bytes.subarray(0, 4096))
  const t = /"t":"(\w+)"/.exec(text)?.[1] ?? '?'
  return t === 'sdp' ? (/"type":"(\w+)"/.exec(text)?.[1] ?? t) : t
}

if (new URLSearchParams(location.search).get('trace') === '1') install(traceMarks)

function install(marks: Record<string, number>): void {
  const m = (n: string) => (marks[n] ??= performance.now())
  /** Record how long a synchronous call held the page as `<prefix><start ms>`. */
  const held = <T>(prefix: string, call: () => T): T => {
    const at = performance.now()
    try {
      return call()
    } finally {
      marks[`${prefix}${Math.round(at)}`] = performance.now() - at
    }
  }

  const NativeWebSocket = window.WebSocket
  let tx = 0
  let rx = 0
  const wire: TraceWire = { tx: [], rx: [] }
  window.firstFrameWire = wire
  const epoch = () => performance.timeOrigin + performance.now()
  window.WebSocket = class extends NativeWebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      m('ws0')
      super(url, protocols)
      m('ws')
      this.addEventListener('open', () => m('wsopen'))
      this.addEventListener('message', (e: MessageEvent) => {
        m(`rx${++rx}:${wireLabel(e.data)}`)
        const key = tailKey(e.data)
        if (key) wire.rx.push([key, epoch()])
      })
    }
    override send(data: string | ArrayBufferLike | Blob | ArrayBufferView): void {
      m(`tx${++tx}:${wireLabel(data)}`)
      const key = tailKey(data)
      if (key) wire.tx.push([key, epoch()])
      super.send(data)
    }
  } as typeof WebSocket

  const nativeFetch = window.fetch
  window.fetch = (...args) => {
    m('fetch')
    const p = nativeFetch(...args)
    m('fetchret')
    return p.then((r) => (m('fetched'), r))
  }

  const devices = navigator.mediaDevices
  const gum = devices.getUserMedia.bind(devices)
  devices.getUserMedia = (c) => {
    m('gum')
    const p = gum(c)
    m('gumret')
    return p.then((s) => (m('gumok'), s))
  }

  /** `Native` with its constructor's cost recorded as `<prefix><start ms>`. */
  // A mixin: TypeScript requires `any[]` constructor arguments.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  type Constructor = new (...args: any[]) => object
  function timedClass<C extends Constructor>(Native: C, prefix: string): C {
    return class extends Native {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      constructor(...args: any[]) {
        const at = performance.now()
        super(...args)
        marks[`${prefix}${Math.round(at)}`] = performance.now() - at
      }
    }
  }
  window.AudioContext = timedClass(window.AudioContext, 'ac')
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) marks[`long${Math.round(e.startTime)}`] = e.duration
  }).observe({ type: 'longtask', buffered: true })

  const pc = RTCPeerConnection.prototype as unknown as Record<string, (...a: unknown[]) => unknown>
  for (const name of [
    'setRemoteDescription',
    'setLocalDescription',
    'createOffer',
    'createAnswer',
  ]) {
    const native = pc[name]!
    pc[name] = function (this: unknown, ...a: unknown[]) {
      m(`${name}>`)
      return (native.apply(this, a) as Promise<unknown>).then((v) => (m(`${name}<`), v))
    }
  }
  const addTransceiver = pc.addTransceiver!
  pc.addTransceiver = function (this: unknown, ...a: unknown[]) {
    m('addTransceiver')
    const at = performance.now()
    try {
      return addTransceiver.apply(this, a)
    } finally {
      marks.atx = (marks.atx ?? 0) + performance.now() - at
      marks.atxN = (marks.atxN ?? 0) + 1
    }
  }
  window.RTCPeerConnection = timedClass(window.RTCPeerConnection, 'pcnew')
  const canvas = HTMLCanvasElement.prototype
  const captureStream = canvas.captureStream
  canvas.captureStream = function (this: HTMLCanvasElement, fps?: number) {
    return held('cs', () => captureStream.call(this, fps))
  }
  const audio = AudioContext.prototype
  const destination = audio.createMediaStreamDestination
  audio.createMediaStreamDestination = function (this: AudioContext) {
    return held('msd', () => destination.call(this))
  }

  const sender = RTCRtpSender.prototype
  const replaceTrack = sender.replaceTrack
  let n = 0
  sender.replaceTrack = function (this: RTCRtpSender, t: MediaStreamTrack | null) {
    const k = ++n
    m(`rt${k}>${t?.kind ?? 'null'}`)
    return replaceTrack.call(this, t).then((v) => (m(`rt${k}<`), v))
  }

  const subtle = crypto.subtle
  const decrypt = subtle.decrypt.bind(subtle)
  const encrypt = subtle.encrypt.bind(subtle)
  let d = 0
  let e = 0
  subtle.decrypt = (...a: Parameters<SubtleCrypto['decrypt']>) => {
    const k = ++d
    m(`dec${k}>`)
    return decrypt(...a).then((v) => (m(`dec${k}<:${sealedLabel(v)}`), v))
  }
  subtle.encrypt = (...a: Parameters<SubtleCrypto['encrypt']>) => {
    m(`enc${++e}:${sealedLabel(a[2] as ArrayBufferView)}`)
    return encrypt(...a)
  }
}

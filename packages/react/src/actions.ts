import type { Call } from '@kibitz/call'
import type { CallError } from '@kibitz/call'

/**
 * The controller's actions as plain functions (SPEC RX4): bound once per controller, so they are
 * safe to pass to memoized children and effect dependencies. Without a controller (the options
 * were invalid) they behave like a controller that cannot join: promises reject with the creation
 * error, boolean moderation returns false, sends return false, `sendChat` throws it.
 */
export type CallActions = Pick<
  Call,
  | 'join'
  | 'leave'
  | 'toggleMic'
  | 'toggleCam'
  | 'shareScreen'
  | 'shareTrack'
  | 'stopShare'
  | 'setName'
  | 'setAvatar'
  | 'setMeta'
  | 'broadcast'
  | 'sendTo'
  | 'onMessage'
  | 'sendChat'
  | 'knock'
  | 'setLobby'
  | 'admit'
  | 'deny'
  | 'remove'
  | 'setLocked'
  | 'resetRoom'
  | 'setCapabilityGrant'
>

/** Bind every action to `call` (method calls, so class-based `Call` implementations work too). */
export function bindActions(call: Call): CallActions {
  return {
    join: (o) => call.join(o),
    leave: () => call.leave(),
    toggleMic: () => call.toggleMic(),
    toggleCam: () => call.toggleCam(),
    shareScreen: () => call.shareScreen(),
    shareTrack: (t) => call.shareTrack(t),
    stopShare: () => call.stopShare(),
    setName: (n) => call.setName(n),
    setAvatar: (a) => call.setAvatar(a),
    setMeta: (m) => call.setMeta(m),
    broadcast: (d) => call.broadcast(d),
    sendTo: (id, d) => call.sendTo(id, d),
    onMessage: (cb) => call.onMessage(cb),
    sendChat: (text, to) => call.sendChat(text, to),
    knock: (n, a) => call.knock(n, a),
    setLobby: (on) => call.setLobby(on),
    admit: (id) => call.admit(id),
    deny: (id) => call.deny(id),
    remove: (id) => call.remove(id),
    setLocked: (on) => call.setLocked(on),
    resetRoom: () => call.resetRoom(),
    setCapabilityGrant: (id, g) => call.setCapabilityGrant(id, g),
  }
}

/** Actions without a controller: nothing can happen, and the creation error says why. */
export function inertActions(error: CallError): CallActions {
  const reject = <T>(): Promise<T> => Promise.reject(error)
  const no = (): boolean => false
  const nothing = (): void => undefined
  return {
    join: reject,
    leave: () => Promise.resolve(),
    toggleMic: reject,
    toggleCam: reject,
    shareScreen: reject,
    shareTrack: nothing,
    stopShare: nothing,
    setName: nothing,
    setAvatar: nothing,
    setMeta: nothing,
    broadcast: no,
    sendTo: no,
    onMessage: () => nothing,
    sendChat: () => {
      throw error
    },
    knock: nothing,
    setLobby: no,
    admit: no,
    deny: no,
    remove: no,
    setLocked: no,
    resetRoom: no,
    setCapabilityGrant: no,
  }
}

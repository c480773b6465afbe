import type { PresenceSource } from '../presence/types.js'

/**
 * How much of a room a user sees right now: a device showing it in the foreground (`focused`), a device
 * connected but on something else (`connected`), or no device connected (`away`).
 */
export type Attention = 'away' | 'connected' | 'focused'

/** What the push worker asks before sending: answered from the presence source, on any node. */
export async function attentionOf (presence: PresenceSource, userId: string, roomId: string): Promise<Attention> {
  const devices = await presence.devices(userId)
  if (devices.length === 0) return 'away'
  return devices.some((device) => device.focusRoomId === roomId) ? 'focused' : 'connected'
}

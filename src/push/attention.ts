import type { SessionRegistry } from '../sessions/registry.js'

/**
 * How much of a room a user sees right now: a device showing it in the foreground (`focused`), a device
 * connected but on something else (`connected`), or no device connected (`away`).
 */
export type Attention = 'away' | 'connected' | 'focused'

/** Answers for the push worker; one node reads its registry, several will read the shared presence store. */
export interface AttentionSource {
  attention: (userIds: string[], roomId: string) => Promise<Map<string, Attention>>
}

/** One node: the devices in this node's session registry, with the room each reported by room_focus. */
export function localAttention (sessions: SessionRegistry): AttentionSource {
  return {
    attention: async (userIds, roomId) => {
      const answer = new Map<string, Attention>()
      for (const userId of userIds) {
        let seen: Attention = 'away'
        for (const conn of sessions.devices(userId)) {
          if (conn.closed) continue
          seen = conn.focusRoomId === roomId ? 'focused' : 'connected'
          if (seen === 'focused') break
        }
        answer.set(userId, seen)
      }
      return answer
    }
  }
}

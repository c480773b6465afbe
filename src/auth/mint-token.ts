import { createSigner } from 'fast-jwt'
import { DEV_JWT_SECRET, type Config } from '../config.js'

/**
 * Signs a login token the way the platform's auth service does: HS256 with the configured secret, the
 * user id in the configured claim, issuer and audience when configured. For development and tests.
 */
export function mintToken (config: Config, userId: string | number, expiresIn: string | number = '1h'): string {
  if (config.JWT_PUBLIC_KEY !== undefined) {
    throw new Error('JWT_PUBLIC_KEY is set: tokens are signed by the identity provider, not here')
  }
  const algorithm = config.JWT_ALGORITHMS?.split(',')[0]?.trim() ?? 'HS256'
  const sign = createSigner({
    key: config.JWT_SECRET ?? DEV_JWT_SECRET,
    algorithm: algorithm as 'HS256',
    expiresIn,
    ...(config.JWT_ISSUER !== undefined && { iss: config.JWT_ISSUER }),
    ...(config.JWT_AUDIENCE !== undefined && { aud: config.JWT_AUDIENCE })
  })
  return sign({ [config.JWT_USER_CLAIM]: String(userId) })
}

import { newVapidKeys } from '../push/webpush.js'

// Prints a new VAPID key pair as environment lines (npm run --silent vapid >> .env).
const keys = newVapidKeys()
process.stdout.write(`VAPID_PUBLIC_KEY=${keys.publicKey}\nVAPID_PRIVATE_KEY=${keys.privateKey}\n`)

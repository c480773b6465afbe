// The helpers of every suite, one module each under helpers/; imported from here.
export * from './helpers/database.js'
export * from './helpers/app.js'
export * from './helpers/client.js'
export * from './helpers/connect.js'
export * from './helpers/tokens.js'
export * from './helpers/frames.js'
export * from './helpers/one-write.js'
export * from './helpers/barrier.js'

// A healthy device in a process of its own (the heartbeat test): logs in, answers the server's pings (the
// ws client does so by itself), prints a line per ping, and after the third one sends a message and prints
// the answer. Its own event loop keeps answering however busy the server's process is.
import WebSocket from 'ws'

const [url, userId, token] = process.argv.slice(2) as [string, string, string]
const ws = new WebSocket(url)
let pings = 0
ws.on('open', () => { ws.send(JSON.stringify({ command: 'user_login', userId: Number(userId), token, uuid: 'tablet' })) })
ws.on('ping', () => {
  pings++
  process.stdout.write(`ping ${pings}\n`)
  if (pings === 3) ws.send(JSON.stringify({ command: 'user_message', roomId: 1, content: 'còn ai không?', messageType: 'TEXT', requestId: 'after-pings' }))
})
ws.on('message', (data) => { process.stdout.write(`frame ${data.toString()}\n`) })
ws.on('close', (code) => { process.stdout.write(`closed ${code}\n`) })

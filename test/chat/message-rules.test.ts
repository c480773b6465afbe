import { test } from 'node:test'
import assert from 'node:assert/strict'
import { posix } from 'node:path'
import fc from 'fast-check'
import { attachmentOfPath, mediaPathProblem, mediaProblem } from '../../src/chat/message-rules.js'

/** Whether a path passes the normal-form check (mediaProblem then also wants it to name an attachment). */
const accepted = (media: string) => media.startsWith('/') || media.startsWith('\\') ? mediaPathProblem(media) === undefined : mediaProblem(media, false) === undefined

test('media paths are judged as a browser resolves them', () => {
  const table: Array<[string, boolean]> = [
    ['/media/42', true],
    ['/media/42/thumb', true],
    ['/media/42?expires=1700000000&signature=abc', true],
    ['/media/file%20name.jpg', true],
    ['/media/%2e%2e/%2e%2e/etc/passwd', false],
    ['/media/%2E%2E/%2E%2E/etc/passwd', false],
    ['/media/.%2e/x', false],
    ['/media/%2e./x', false],
    ['/media/../../etc/passwd', false],
    ['/media/./42', false],
    ['/media/%2e/42', false],
    ['/media/..%2f..%2fetc%2fpasswd', false],
    ['/media/..%5c..%5cetc', false],
    ['/media/%252e%252e/etc', false],
    ['/media\\..\\..\\etc\\passwd', false],
    ['\\media\\42', false],
    ['//evil.example/media/42', false],
    ['/media//42', false],
    ['/media/', false],
    ['/media', false],
    ['/etc/passwd', false],
    ['/media/42/', false],
    ['/media/%00', false],
    ['/media/%zz', false],
    ['https://cdn.example.com/image.jpg', true],
    ['http://cdn.example.com/image.jpg', true],
    ['javascript:alert(1)', false],
    ['image.jpg', false]
  ]
  for (const [media, ok] of table) assert.equal(accepted(media), ok, media)
  assert.equal(mediaProblem('http://cdn.example.com/image.jpg', true), 'must be an https URL or a /media/ path')
})

// Pieces a path-traversal attempt is made of: dot segments in every spelling, separators, escapes.
const piece = fc.constantFrom('a', '42', 'thumb', '.', '..', '%2e', '%2E', '.%2e', '%2e.', '%2e%2e', '/', '\\', '%2f', '%2F', '%5c', '%25', '%252e', '?', '#', '%00', ';', '%', ' ')
const mediaPath = fc.array(piece, { maxLength: 12 }).map((pieces) => `/media/${pieces.join('')}`)

/** Where a path ends up: as a browser resolves it, and as a server that decodes and then joins would. */
function landings (media: string): string[] {
  const browser = new URL(media, 'https://host.invalid').pathname
  const decoded = posix.normalize(decodeURIComponent(media.split(/[?#]/, 1)[0]!).replace(/\\/g, '/'))
  return [browser, decoded]
}

test('an accepted /media/ path never lands outside /media/, however a server resolves it', () => {
  fc.assert(fc.property(mediaPath, (media) => {
    if (!accepted(media)) return
    for (const landing of landings(media)) {
      assert.ok(landing.startsWith('/media/') && landing.length > '/media/'.length, `${media} lands on ${landing}`)
      assert.ok(!landing.split('/').includes('..'), `${media} lands on ${landing}`)
    }
  }), { numRuns: 5000 })
})

test('a /media/ path that is already in normal form is accepted', () => {
  const segment = fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/)
  fc.assert(fc.property(fc.array(segment, { minLength: 1, maxLength: 4 }), (segments) => {
    assert.ok(accepted(`/media/${segments.join('/')}`))
  }))
})

test('a path in media must name an attachment; javascript:, data: and file: never pass; MEDIA_ALLOWED_ORIGINS bounds URLs', () => {
  assert.equal(attachmentOfPath('/media/42'), '42')
  assert.equal(attachmentOfPath('/media/42?expires=1700000000&signature=abc'), '42')
  for (const notAttachment of ['/media/42/thumb', '/media/file%20name.jpg', '/media/a']) {
    assert.equal(attachmentOfPath(notAttachment), undefined, notAttachment)
    assert.equal(mediaProblem(notAttachment, false), 'must be /media/<attachmentId> of one of your uploads, or an https URL', notAttachment)
  }
  for (const scheme of ['javascript:alert(1)', 'data:image/png;base64,AAAA', 'file:///etc/passwd', 'ftp://example.com/a.jpg']) {
    assert.equal(mediaProblem(scheme, false), 'must be an http(s) URL or a /media/ path', scheme)
  }
  const origins = new Set(['https://cdn.bdsthat.vn'])
  assert.equal(mediaProblem('https://cdn.bdsthat.vn/listing/1.jpg', true, origins), undefined)
  assert.equal(mediaProblem('https://evil.example/1.jpg', true, origins), 'must come from one of MEDIA_ALLOWED_ORIGINS (https://cdn.bdsthat.vn)')
  assert.equal(mediaProblem('https://cdn.bdsthat.vn.evil.example/1.jpg', true, origins), 'must come from one of MEDIA_ALLOWED_ORIGINS (https://cdn.bdsthat.vn)')
})

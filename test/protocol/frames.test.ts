import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Answers, buildFrame, buildFrameFrom, Events, serializeFields } from '../../src/protocol/events.js'
import { frameProblem } from '../helpers/client.js'

const body = {
  message: {
    messageId: '7',
    content: 'Căn hộ còn không?\n',
    roomId: '3',
    messageType: 'TEXT' as const,
    media: null,
    createdAt: '2026-12-02T10:00:00.000Z',
    sender: { userId: '4', fullname: 'Chị Lan "Mai"', avatar: null, primaryRole: 'AGENT' as const },
    seq: 12
  },
  room: { roomId: '3', listingId: '9', title: 'Căn hộ Quận 1' },
  syncToken: '41'
}

test('a frame built from serialized fields is the frame buildFrame gives, with and without a requestId, and with no fields', () => {
  const fields = serializeFields(Events.user_message, body)
  const cases: Array<[string, string]> = [
    [buildFrameFrom(Events.user_message, fields), buildFrame(Events.user_message, body)],
    [buildFrameFrom(Answers.user_message, fields, 'r-1'), buildFrame(Answers.user_message, body, 'r-1')],
    [buildFrameFrom(Answers.user_message, fields), buildFrame(Answers.user_message, body)],
    [buildFrameFrom(Events.session_replaced, serializeFields(Events.session_replaced, {})), buildFrame(Events.session_replaced, {})]
  ]
  for (const [fromText, built] of cases) {
    assert.equal(fromText, built)
    assert.equal(frameProblem(JSON.parse(fromText) as Record<string, unknown>), undefined)
  }
  assert.deepEqual(Object.keys(JSON.parse(cases[1]![0]) as object), ['command', 'result', 'requestId', 'message', 'room', 'syncToken'])
})

// The one hello app every contender serves: a short text body and the pid of
// the worker that answered (the bench tells workers apart by it).
'use strict'
const BODY = Buffer.from('Hello, World!\n')
const PID = String(process.pid)

exports.hello = function hello(_req, res) {
  res.writeHead(200, {
    'content-type': 'text/plain',
    'content-length': BODY.length,
    'x-worker': PID,
  })
  res.end(BODY)
}

// A plain server on PORT: a node:cluster worker, a PM2 cluster-mode app, or
// the single-process reference. CommonJS, so PM2 can load it in any version.
'use strict'
const { createServer } = require('node:http')
const { hello } = require('./hello.cjs')

createServer(hello).listen(
  { port: Number(process.env.PORT), host: '127.0.0.1', backlog: 4096 },
  () => {
    if (process.send) process.send('ready')
    else console.log('listening')
  },
)

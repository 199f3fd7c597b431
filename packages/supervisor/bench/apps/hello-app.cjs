// The paste app factory the forklift-wsgi-server contenders load
// (`use = <this file>#factory`): the very hello app every other contender
// serves, so their rows differ only in what serves it.
'use strict'
const { hello } = require('./hello.cjs')

exports.factory = () => hello

// The module behind `use = forklift#<name>`.
export { healthcheck } from './healthcheck.js'
export { hello } from './hello.js'

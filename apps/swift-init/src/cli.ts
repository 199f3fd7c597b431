// The binary's entry: runs swift-init and exits (bin/swift-init.mjs imports this).
import { main } from './main.js'

await main()

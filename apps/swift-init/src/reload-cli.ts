// The swift-reload binary's entry (bin/swift-reload.mjs imports this).
import { reloadMain } from './reload.js'

await reloadMain()

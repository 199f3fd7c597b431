#!/usr/bin/env node
import { manageMain } from '../dist/manage.js'

manageMain()

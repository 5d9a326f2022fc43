#!/usr/bin/env node
require('../build/src/agent/main.js').run();

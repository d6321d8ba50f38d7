#!/usr/bin/env node
import '../dist/bundle/fromscratch.mjs';

#!/usr/bin/env node
import '../dist/fromscratch.mjs';

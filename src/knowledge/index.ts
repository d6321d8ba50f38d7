export { CGO_MODULES, findCgoModule, type CgoModule, type CgoCheck } from './cgo-modules.js';

export { CGO_MODULES, findCgoModule, type CgoModule } from './cgo-modules.js';

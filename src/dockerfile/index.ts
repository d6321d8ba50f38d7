export { generateDockerfile, NONROOT_UID, type DockerfileOptions } from './generate.js';
export { factsFromBinary, factsFromSource, goImageTag, programName, safeBinaryName, type DockerfileFacts } from './facts.js';

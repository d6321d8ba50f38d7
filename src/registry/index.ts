export { parseChallenges, type AuthChallenge } from './challenge.js';
export { MANIFEST_ACCEPT, MAX_MANIFEST_BYTES, RegistryClient, type ClientOptions, type FetchedManifest, type TransferProgress } from './client.js';
export { credentialsFromHelper, findCredentials, type CredentialOptions, type Credentials } from './credentials.js';
export type { RequestEvent } from './http.js';
export { parsePlatform, pullImage, type PullOptions, type RegistryLayer, type RegistryOrigin } from './pull.js';
export { pushImage, type PushOptions, type PushResult } from './push.js';
export {
  DOCKER_HUB_API_HOST,
  formatRegistryReference,
  isDockerHub,
  parseRegistryReference,
  referenceTarget,
  type RegistryReference,
} from './reference.js';
export { isLoopbackRegistry, pullScope, pushScope, RegistrySession, type RegistryOptions, type SessionRequest } from './session.js';
export type { UploadOptions, UploadResult } from './upload.js';

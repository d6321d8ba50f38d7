/**
 * WWW-Authenticate parsing (RFC 7235) for the two schemes registries use:
 * `Bearer realm="...",service="...",scope="..."` (token servers) and
 * `Basic realm="..."` (htpasswd). Quoted strings may hold commas and escaped
 * quotes, so this is a small tokenizer, not a split on ','.
 */
export interface AuthChallenge {
  /** Lower-cased scheme name: "bearer", "basic", or whatever the server sent. */
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

const TOKEN_CHAR = /[!#$%&'*+.^_`|~0-9A-Za-z-]/;

export function parseChallenges(header: string): AuthChallenge[] {
  const challenges: { scheme: string; params: Record<string, string> }[] = [];
  let i = 0;
  const n = header.length;
  const skipSpace = (): void => {
    while (i < n && (header[i] === ' ' || header[i] === '\t')) i++;
  };
  const readToken = (): string => {
    const start = i;
    while (i < n && TOKEN_CHAR.test(header[i] ?? '')) i++;
    return header.slice(start, i);
  };
  while (i < n) {
    skipSpace();
    if (header[i] === ',') {
      i++;
      continue;
    }
    const word = readToken();
    if (word.length === 0) {
      i++; // an unexpected character: skip it rather than loop forever
      continue;
    }
    skipSpace();
    if (header[i] === '=' && challenges.length > 0) {
      // key=value belonging to the current challenge
      i++;
      skipSpace();
      let value: string;
      if (header[i] === '"') {
        i++;
        let out = '';
        while (i < n && header[i] !== '"') {
          if (header[i] === '\\' && i + 1 < n) i++;
          out += header[i];
          i++;
        }
        i++; // closing quote
        value = out;
      } else {
        value = readToken();
      }
      const current = challenges[challenges.length - 1];
      if (current) current.params[word.toLowerCase()] = value;
      continue;
    }
    challenges.push({ scheme: word.toLowerCase(), params: {} });
  }
  return challenges;
}

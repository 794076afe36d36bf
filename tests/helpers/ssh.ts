/**
 * The OpenSSH client command line the tests use against their own sshd on loopback: no user
 * config, batch mode, the sshd's host key pinned in `<dir>/known_hosts`, the key `<dir>/client`.
 */

/** `ssh` arguments (without the program) that run `command` as `target` (`user@host`) on `port`. */
export function sshArgs(dir: string, port: number, target: string, command: string): string[] {
  return [
    "-F",
    "/dev/null",
    "-o",
    "BatchMode=yes",
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    `UserKnownHostsFile=${dir}/known_hosts`,
    "-o",
    "IdentitiesOnly=yes",
    "-i",
    `${dir}/client`,
    "-p",
    String(port),
    target,
    command,
  ];
}

/**
 * The sshd_config of a test sshd: keys in `dir`, listening on `host:port`, public keys only, root
 * by key. `maxStartups` raises sshd's limit on concurrent unauthenticated connections (the engine
 * opens several at once).
 */
export function sshdConfig(dir: string, host: string, port: number, maxStartups?: string): string {
  return [
    `Port ${port}`,
    `ListenAddress ${host}`,
    `HostKey ${dir}/host`,
    "PidFile none",
    `AuthorizedKeysFile ${dir}/authorized_keys`,
    "StrictModes no",
    "UsePAM no",
    "PermitRootLogin prohibit-password",
    "PubkeyAuthentication yes",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    ...(maxStartups ? [`MaxStartups ${maxStartups}`] : []),
    "LogLevel ERROR",
    "",
  ].join("\n");
}

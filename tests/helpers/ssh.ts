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

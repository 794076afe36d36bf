/**
 * The security tests' view of the one mock harness (tests/component/harness.ts): kept as a module
 * so that the tests importing it (security, faults, property) read the same names.
 */
export {
  COMMAND,
  detectOutput,
  isSecretWrapper,
  K8S_PROVIDER,
  MULTUS,
  NAD,
  plainStrings,
  RELEASE,
  MockRun as Run,
  runMultus,
  SECRET_SIG,
  Sent,
  SIG_KEY,
  sortedJson,
} from "../component/harness";

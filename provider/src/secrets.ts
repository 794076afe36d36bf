/**
 * Which input properties are credentials, by schema type: the schema generator marks them `secret`.
 */
import { SECRET_NODE_FIELDS } from "./plan/nodes";

/**
 * The input properties that are credentials, by schema type: the generated schema marks them
 * `secret`, so that every language's SDK sends them as secrets.
 */
export const SECRET_PROPERTIES: Readonly<Record<string, readonly string[]>> = {
  Multus: ["kubeconfig"],
  NodeArgs: SECRET_NODE_FIELDS,
  ProxyArgs: SECRET_NODE_FIELDS,
  ChartArgs: ["repositoryUsername", "repositoryPassword"],
};

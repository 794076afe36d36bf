// ESLint flat config: typescript-eslint strictTypeChecked over the provider, tests, benchmarks and
// scripts (type information from the TypeScript project service), plus the planning-core boundary.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/** What provider/src/plan may not import (the rule below; tests/unit/boundaries.test.ts checks it). */
export const PLAN_BOUNDARY = {
  paths: [
    ...["fs", "fs/promises", "child_process", "net", "http", "https", "os", "worker_threads"].flatMap(
      (name) =>
        [name, `node:${name}`].map((n) => ({ name: n, message: "provider/src/plan is pure: no I/O." })),
    ),
  ],
  patterns: [
    { group: ["@pulumi/*"], message: "provider/src/plan is pure: no Pulumi (the component wires it)." },
    {
      group: ["../*", "!../errors", "!../networkArgs"],
      message:
        "provider/src/plan may use only ../errors and ../networkArgs of the provider (plain data); the component, its wiring and args, the CLI and the node scripts stay outside.",
    },
  ],
};

export default tseslint.config(
  { ignores: ["node_modules/", "provider/bin/", "coverage/", "sdk/", "examples/*/node_modules/"] },
  js.configs.recommended,
  {
    files: ["**/*.ts"],
    extends: [...tseslint.configs.strictTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      "no-console": "off",
      // Numbers print the same everywhere; everything else in a template must be a string.
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
      // `(x) => log(x)` stays a one-liner; a void value returned or assigned anywhere else is refused.
      "@typescript-eslint/no-confusing-void-expression": ["error", { ignoreArrowShorthand: true }],
    },
  },
  {
    // The planning core is pure: data in, data out. No Pulumi, no file system or processes, and
    // nothing of the component around it; of the provider's own modules only the plain data ones.
    // tests/unit/boundaries.test.ts keeps this rule from vanishing.
    files: ["provider/src/plan/**/*.ts"],
    rules: {
      "@typescript-eslint/no-restricted-imports": ["error", PLAN_BOUNDARY],
      "no-restricted-syntax": [
        "error",
        {
          selector: "CallExpression[callee.name='require'], ImportExpression",
          message: "provider/src/plan is pure: import statically, and only what PLAN_BOUNDARY allows.",
        },
      ],
    },
  },
  {
    // Plain CommonJS scripts (build tools, the mocha reporter): the strict rules without types.
    files: ["**/*.js", "**/*.cjs"],
    extends: [...tseslint.configs.strict],
    languageOptions: {
      sourceType: "commonjs",
      globals: {
        require: "readonly",
        module: "writable",
        process: "readonly",
        console: "readonly",
        __dirname: "readonly",
      },
    },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);

// ESLint flat config: typescript-eslint strictTypeChecked over the provider, tests, benchmarks and
// scripts (type information from the TypeScript project service).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

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

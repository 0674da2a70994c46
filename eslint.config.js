// Type-aware lint for every workspace (docs/architecture.md#code-conventions): the no-unsafe-* rules
// stay on, import cycles are errors, and workspaces may only reach each other
// through their package names.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/dist-types/**', '**/node_modules/**', '**/coverage/**', '**/testdata/**', '**/*.config.js', '**/*.config.ts', 'jest.base.js', '**/global-setup.js', '**/global-teardown.js', 'scripts/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    rules: {
      'import-x/no-cycle': 'error',
      // TypeORM's EntitySchema and @kubernetes/client-node document object literals for
      // their option and model classes: the rule flags every correct use.
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true, ignoreVoidReturningFunctions: true }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['../../common/*', '../../../common/*', '**/common/src/*', '**/gitops-writer/src/*', '**/applier/src/*'], message: 'Import other workspaces by package name (@dangus/…).' }] },
      ],
    },
  },
  {
    // Tests assert on parsed JSON bodies (typed any by supertest) and use jest globals.
    files: ['**/*.test.ts', '**/test/**/*.ts'],
    languageOptions: { globals: { ...globals.jest } },
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);

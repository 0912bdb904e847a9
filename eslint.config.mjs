// Flat config: typescript-eslint's recommended rules plus our own habits: type-only imports marked as such,
// unused arguments named with a leading _, and no focused or skipped tests left behind.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      'functions/lib/**',
      'demo/dist/**',
      'test-artifacts/**',
      '**/*.js',
      '**/*.mjs',
      '**/*.cjs',
    ],
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // Tests must not leave .only/.skip behind: a focused or skipped test is how CI goes green by accident.
      'no-restricted-properties': [
        'error',
        { object: 'describe', property: 'only', message: 'Remove .only before committing.' },
        { object: 'it', property: 'only', message: 'Remove .only before committing.' },
        { object: 'test', property: 'only', message: 'Remove .only before committing.' },
        {
          object: 'describe',
          property: 'skip',
          message: 'Skipped tests must not be committed; explain with a reasoned condition instead.',
        },
        {
          object: 'it',
          property: 'skip',
          message: 'Skipped tests must not be committed; explain with a reasoned condition instead.',
        },
        {
          object: 'test',
          property: 'skip',
          message: 'Skipped tests must not be committed; explain with a reasoned condition instead.',
        },
      ],
    },
  },
);

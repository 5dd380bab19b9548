// @ts-check
/**
 * One lint configuration for the workspace: typescript-eslint's recommended
 * rules, plus the layering of DESIGN.md written as import restrictions, so a
 * unikernel that imports an implementation, or a plugin that pulls a device
 * into the build tool, fails `nx lint` with the rule that says why.
 */
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Device implementation libraries: only the generated main.ts connects them.
 * (@mirage-ts/http is not one: like Cohttp_mirage.Server, it is applied by
 * the unikernel to a conduit it was given.)
 */
const DEVICE_LIBS = [
  'console',
  'block',
  'kv',
  'fat',
  'netif',
  'tcpip',
  'socket-stack',
  'conduit',
  'tracing',
  'xen-control',
  'xenstore',
  'xen-grant',
];
const deviceLib = `@mirage-ts/(${DEVICE_LIBS.join('|')})`;

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      'dist/**',
      'tmp/**',
      '.nx/**',
      '**/generators/**/files/**',
      'libs/netif/native/build/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      // Wire formats, terminal output and file names are checked for control bytes on purpose.
      'no-control-regex': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
        process: 'readonly',
        console: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  // A unikernel sees device signatures and the DSL, never an implementation (DESIGN.md, "Rules").
  {
    files: ['apps/**/*.ts'],
    ignores: ['apps/**/*.spec.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              // Narrow exceptions: @mirage-ts/tcpip/layers, for unikernels that compose the
              // stack's layers by hand as MirageOS's ping/ethifv4 examples do, and
              // @mirage-ts/conduit/direct, for one that makes its conduit over a stack it was
              // given, as conduit_server_manual does (Conduit_mirage.with_tcp).
              regex: `^(?!@mirage-ts/tcpip/layers$)(?!@mirage-ts/conduit/direct$)${deviceLib}(/.*)?$`,
              message:
                'A unikernel imports only @mirage-ts/types (and the DSL in config.ts): declare the device in config.ts and take it as a start() parameter.',
            },
            {
              regex: '^@mirage-ts/nx-plugin(/.*)?$',
              message: 'The plugin is build time only: a unikernel never imports it.',
            },
            // @mirage-ts/dns is a protocol library a unikernel may use (zone files, the server); its resolver is a device.
            {
              regex: '^@mirage-ts/dns/resolver$',
              message: 'The resolver is a device: take it as a start() parameter (resolverDns(stack) in config.ts).',
            },
          ],
        },
      ],
    },
  },
  // Signatures only: the types library depends on nothing of the project.
  {
    files: ['libs/types/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^@mirage-ts/',
              message: '@mirage-ts/types holds device signatures only and imports no other library.',
            },
          ],
        },
      ],
    },
  },
  // The plugin reads Impl descriptors; it never loads a device. Build-time tools of a device library are allowed.
  {
    files: ['plugins/**/*.ts', 'libs/mirage/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `^${deviceLib}(?!/builder/|/key$)(/.*)?$`,
              allowTypeImports: true,
              message:
                'The plugin and the DSL never import a device implementation: name its module in an Impl descriptor (only build-time tools such as @mirage-ts/fat/builder/* may be imported).',
            },
          ],
        },
      ],
    },
  },
  // Device libraries sit below the plugin: they never reach up into it.
  {
    files: ['libs/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^@mirage-ts/nx-plugin(/.*)?$', message: 'Libraries never import the build-time plugin.' },
          ],
        },
      ],
    },
  },
);

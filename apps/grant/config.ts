import {
  console,
  defaultConsole,
  defaultGrantTables,
  defaultXenstore,
  foreign,
  grantTables,
  Key,
  register,
  xenstore,
} from '@mirage-ts/mirage';

// Xen only, as the 2015 example: xenstore and grant tables exist in Xen guests alone, so
// configuring for unix or qemu stops with "xenstore is not available for target unix".
const main = foreign('Unikernel.Main', [console, xenstore, grantTables]);

// The 2015 example idles 5 s at the end; meanwhile changes under data/ in xenstore are shown.
const linger = Key.int('linger', {
  default: 5,
  stage: 'runtime',
  doc: 'Seconds to stay up after the check, showing changes under data/ in xenstore.',
});

export default register('grant', [main(defaultConsole, defaultXenstore, defaultGrantTables)], { keys: [linger] });

// Builds web/static/vendor-frontend.css and copies GOV.UK Frontend's script
// to web/static/vendor-govuk-frontend.mjs, from the pinned npm packages
// (web/package-lock.json). Run after changing their versions, then commit:
//
//   cd web && npm ci && node frontend/build.mjs
//
// The versions and licences go into web/static/vendor-README.txt.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as sass from 'sass';

const web = join(dirname(fileURLToPath(import.meta.url)), '..');
const version = (pkg) =>
  JSON.parse(readFileSync(join(web, 'node_modules', pkg, 'package.json'), 'utf8')).version;

const result = sass.compile(join(web, 'frontend', 'dpmon-frontend.scss'), {
  loadPaths: [web, join(web, 'node_modules')],
  style: 'compressed',
  quietDeps: true,
  silenceDeprecations: ['import', 'global-builtin', 'mixed-decls'],
  logger: sass.Logger.silent,
});
let css = result.css
  // MOJ Frontend sets the font family of its own components itself.
  .replaceAll('"GDS Transport",arial,sans-serif', 'arial,sans-serif')
  .replaceAll('url(/assets/', 'url(/static/vendor-assets/')
  .replaceAll('url("/assets/', 'url("/static/vendor-assets/');
if (css.includes('GDS Transport')) throw new Error('GDS Transport is still in the CSS');
if (css.includes('@font-face')) throw new Error('a font face is still in the CSS');
const banner = `/* GOV.UK Frontend ${version('govuk-frontend')} and MOJ Frontend ${version('@ministryofjustice/frontend')}, MIT licence (see vendor-README.txt); built for dpmon with Arial by web/frontend/build.mjs */\n`;
writeFileSync(join(web, 'static', 'vendor-frontend.css'), banner + css + '\n');
// Unchanged but for its source map, which is not shipped.
writeFileSync(join(web, 'static', 'vendor-govuk-frontend.mjs'),
  readFileSync(join(web, 'node_modules', 'govuk-frontend', 'dist', 'govuk', 'govuk-frontend.min.js'), 'utf8')
    .replace(/\n?\/\/# sourceMappingURL=\S+\s*$/, '\n'));

writeFileSync(join(web, 'static', 'vendor-README.txt'), `Third-party files in web/static, built by web/frontend/build.mjs from npm
packages pinned in web/package-lock.json. Do not edit them by hand.

vendor-frontend.css
  GOV.UK Frontend ${version('govuk-frontend')} (npm govuk-frontend) and MOJ Frontend
  ${version('@ministryofjustice/frontend')} (npm @ministryofjustice/frontend), compiled from their
  Sass with Arial as the font (no GDS Transport, no crown: dpmon is not a GOV.UK service).
vendor-govuk-frontend.mjs
  GOV.UK Frontend ${version('govuk-frontend')}: dist/govuk/govuk-frontend.min.js, without its
  source map comment.

Licences. Both packages declare the MIT License in their package.json. GOV.UK
Frontend's README: "Unless stated otherwise, the codebase is released under the
MIT License. This covers both the codebase and any sample code in the
documentation. The documentation is (c) Crown copyright and available under the
terms of the Open Government 3.0 licence." MOJ Frontend is likewise Crown
copyright (Ministry of Justice), under the MIT License.

The MIT License (MIT)

Copyright (c) Crown Copyright (Government Digital Service)
Copyright (c) Crown Copyright (Ministry of Justice)

Permission is hereby granted, free of charge, to any person obtaining a copy of
this software and associated documentation files (the "Software"), to deal in
the Software without restriction, including without limitation the rights to
use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of
the Software, and to permit persons to whom the Software is furnished to do so,
subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS
FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR
COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER
IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN
CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
`);
console.log(`vendor-frontend.css: ${css.length} bytes`);

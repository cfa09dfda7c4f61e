// The dashboard's only script: GOV.UK Frontend's components (error summary
// focus, skip link, header menu). Every page works without it.
import { initAll } from '/static/vendor-govuk-frontend.mjs';

document.body.classList.add('js-enabled', 'govuk-frontend-supported');
initAll();

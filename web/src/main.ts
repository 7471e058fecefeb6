import { start } from './app.js';
import { renderAccess } from './view-access.js';
import { renderCa } from './view-ca.js';
import { renderCertificate } from './view-certificate.js';
import { renderCustomerCa } from './view-customer-ca.js';
import { renderEvents } from './view-events.js';
import { renderOverview } from './view-overview.js';
import { renderProjects } from './view-projects.js';
import { renderSignIn } from './view-signin.js';
import { renderUser } from './view-user.js';
import { renderUsers } from './view-users.js';

// The console's entry point: hands each route its view (app.ts has the routes) and starts.
start({
  signIn: renderSignIn,
  projects: renderProjects,
  tabs: {
    overview: renderOverview,
    users: renderUsers,
    ca: renderCa,
    'customer-ca': renderCustomerCa,
    access: renderAccess,
    events: renderEvents,
  },
  user: renderUser,
  certificate: renderCertificate,
});

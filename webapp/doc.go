// Package webapp is Overwatch's web application: run list, run pages with
// histograms drawn interactively by JSROOT (or server-rendered PNGs when
// JSROOT is not installed), time slices, trending, status, a JSON API and
// live updates by server-sent events. It only reads the store; time slices
// are asked of a SliceService (a *timeslice.Service).
//
// New builds the http.Handler from a Config:
//
//	app, err := webapp.New(webapp.Config{Store: st, DataDir: dir, JSROOTDir: webapp.FindJSROOT("tools/jsroot")})
//	...
//	http.ListenAndServe(addr, app)
//
// Pages are html/template templates and a little JavaScript, embedded in
// the binary; JSROOT is served from its npm installation (never copied into
// the repository). The routes and JSON shapes are documented in
// docs/api.md.
//
// Security: users with bcrypt hashes in DataDir/.webapp/users.json (0600;
// no default users, see Users and "overwatch users"), sessions in
// HMAC-signed HttpOnly SameSite cookies keyed by a random secret created at
// first start (DataDir/.webapp/session.key, 0600), CSRF tokens on every
// state-changing request, login rate limiting, a strict Content Security
// Policy, only published artifacts served (histogram outputs listed in a
// view, snapshot files listed in the index), and auto-login only through an
// explicitly configured trusted-proxy header.
package webapp

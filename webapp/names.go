package webapp

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/julienschmidt/httprouter"
)

// Histogram and trend names go into URL paths (…/json/<name>). Browsers
// normalise "." and ".." path segments (also written %2E), so a name with
// such segments would be requested as another name. nameURL therefore
// keeps '/' readable only when no segment is a dot segment; otherwise the
// whole name is one path segment with '/' escaped as %2F (the server
// decodes the path before routing, so both forms reach the same name); a
// name that is itself "." or ".." goes in the query (?name=), which
// browsers leave alone. nameParam reads either form back.

// isDotSegment reports a segment browsers resolve away.
func isDotSegment(s string) bool {
	switch strings.ToLower(s) {
	case ".", "..", "%2e", ".%2e", "%2e.", "%2e%2e":
		return true
	}
	return false
}

// nameURL returns prefix + "/" + the encoded name, with the query q (may
// be nil) appended.
func nameURL(prefix, name string, q url.Values) string {
	u := prefix + "/"
	switch {
	case name == "." || name == "..":
		if q == nil {
			q = url.Values{}
		}
		q.Set("name", name)
	default:
		parts := strings.Split(name, "/")
		dots := false
		for i, p := range parts {
			dots = dots || isDotSegment(p)
			parts[i] = url.PathEscape(p)
		}
		if dots {
			u += url.PathEscape(name)
		} else {
			u += strings.Join(parts, "/")
		}
	}
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// nameParam returns the name of a request made from a nameURL.
func nameParam(r *http.Request, ps httprouter.Params) string {
	name := strings.TrimPrefix(ps.ByName("name"), "/")
	if name == "" {
		name = r.URL.Query().Get("name")
	}
	return name
}

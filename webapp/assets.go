package webapp

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strings"
)

// Static files and JSROOT's modules are served under versioned URLs,
// /static/v-<version>/app.js and /jsroot/v-<version>/modules/core.mjs,
// whose version is a digest of the files: a browser keeps them for a year
// without asking again (immutable), and a new build or JSROOT install
// changes every URL. The files import each other by relative URLs, so a
// page that loads one under a version loads all of them under it (one
// instance of each module). The unversioned URLs still work and are
// revalidated on every use (no-cache, ETag or Last-Modified).

// immutable is the Cache-Control of a versioned URL of the current
// version.
const immutable = "public, max-age=31536000, immutable"

// staticVersion is the digest of the embedded static files, staticETags
// the strong ETag of each (by its path under static/).
var staticVersion, staticETags = digestStatic()

func digestStatic() (string, map[string]string) {
	etags := map[string]string{}
	all := sha256.New()
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		name := strings.TrimPrefix(p, "static/")
		etags[name] = `"` + hex.EncodeToString(sum[:12]) + `"`
		fmt.Fprintf(all, "%s\x00%x\x00", name, sum)
		return nil
	})
	if err != nil { // the files are embedded: this cannot fail at run time
		panic(fmt.Sprintf("webapp: static files: %v", err))
	}
	return hex.EncodeToString(all.Sum(nil)[:6]), etags
}

// staticURL is the versioned URL of a static file (the templates'
// "static" function).
func staticURL(name string) string { return "/static/v-" + staticVersion + "/" + name }

// digestJSROOT returns the version of a JSROOT package directory: a digest
// of its package.json and of the names, sizes and modification times of
// its files under modules/ (package.json may be missing) (npm rewrites them on every install), which
// costs a directory walk instead of reading megabytes at startup.
func digestJSROOT(fsys fs.FS) (string, error) {
	h := sha256.New()
	pkg, err := fs.ReadFile(fsys, "package.json")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	h.Write(pkg)
	err = fs.WalkDir(fsys, "modules", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "\x00%s\x00%d\x00%d", p, info.Size(), info.ModTime().UnixNano())
		return nil
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)[:6]), nil
}

// versioned serves the files of h under prefix ("/static/"): a first path
// segment v-<version> is removed, and the file is cached as immutable when
// it names the current version (an older version, asked by a page loaded
// before an upgrade, gets the current file, revalidated). etags (may be
// nil) gives the ETag of a file by its path under prefix. Errors carry no
// caching headers (net/http drops them).
func versioned(prefix, version string, etags map[string]string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest := strings.TrimPrefix(r.URL.Path, prefix)
		cache := "no-cache"
		if seg, tail, ok := strings.Cut(rest, "/"); ok && strings.HasPrefix(seg, "v-") {
			if seg == "v-"+version {
				cache = immutable
			}
			rest = tail
		}
		if e, ok := etags[rest]; ok {
			w.Header().Set("ETag", e)
		}
		w.Header().Set("Cache-Control", cache)
		r2 := *r
		u := *r.URL
		u.Path, u.RawPath = prefix+rest, ""
		r2.URL = &u
		h.ServeHTTP(w, &r2)
	})
}

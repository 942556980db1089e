package config

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Transfer configures `overwatch transfer`: copies of every received
// snapshot to other sites. Secrets never live in the file: an S3
// destination NAME reads OVERWATCH_TRANSFER_<NAME>_ACCESS_KEY and
// OVERWATCH_TRANSFER_<NAME>_SECRET_KEY, a DQM destination
// OVERWATCH_TRANSFER_<NAME>_TOKEN (NAME upper-cased, '-' as '_').
type Transfer struct {
	// Scan is the period of the scans of recent runs (default 20s).
	Scan time.Duration `yaml:"scan,omitempty"`
	// Retries after a failed attempt (default 2), RetryDelay the first
	// pause, doubled after each failure (default 3s).
	Retries    int           `yaml:"retries,omitempty"`
	RetryDelay time.Duration `yaml:"retryDelay,omitempty"`
	// Destinations receive the copies.
	Destinations []TransferDestination `yaml:"destinations,omitempty"`
}

// TransferDestination is one site; exactly one of XRootD, S3 and DQM is
// set.
type TransferDestination struct {
	// Name identifies the destination (letters, digits, '-', '_').
	Name   string             `yaml:"name"`
	XRootD *TransferXRootD    `yaml:"xrootd,omitempty"`
	S3     *TransferS3        `yaml:"s3,omitempty"`
	DQM    *TransferDQMUpload `yaml:"dqm,omitempty"`
}

// TransferXRootD is an XRootD (EOS) directory.
type TransferXRootD struct {
	// Addr is host[:port] (default port 1094).
	Addr string `yaml:"addr"`
	// Root is the absolute directory receiving Run<N>/<SYS>/<file>.root.
	Root string `yaml:"root"`
	// User is the login name (default: the current user).
	User string `yaml:"user,omitempty"`
}

// TransferS3 is an S3 bucket (or a prefix of one).
type TransferS3 struct {
	Endpoint string `yaml:"endpoint"`
	Bucket   string `yaml:"bucket"`
	// Prefix, when set, ends with "/".
	Prefix string `yaml:"prefix,omitempty"`
	Region string `yaml:"region,omitempty"`
	// Insecure uses plain HTTP.
	Insecure bool `yaml:"insecure,omitempty"`
}

// TransferDQMUpload is another Overwatch's DQM upload endpoint.
type TransferDQMUpload struct {
	// URL is the receiver's base URL.
	URL string `yaml:"url"`
}

var transferName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// SecretEnv returns the name of the environment variable holding the
// secret what ("ACCESS_KEY", "SECRET_KEY", "TOKEN") of destination name.
func SecretEnv(name, what string) string {
	return "OVERWATCH_TRANSFER_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_")) + "_" + what
}

func (t *Transfer) validate(bad func(string, ...any)) {
	if t.Scan < 0 || t.Retries < 0 || t.RetryDelay < 0 {
		bad("transfer: scan, retries and retryDelay must not be negative")
	}
	seen := map[string]bool{}
	for i, d := range t.Destinations {
		f := func(field string) string { return "transfer.destinations[" + strconv.Itoa(i) + "]" + field }
		if !transferName.MatchString(d.Name) {
			bad("%s: %q is not a destination name (letters, digits, '-', '_')", f(".name"), d.Name)
		}
		if seen[d.Name] {
			bad("%s: %q is used twice", f(".name"), d.Name)
		}
		seen[d.Name] = true
		n := 0
		if x := d.XRootD; x != nil {
			n++
			if x.Addr == "" {
				bad("%s: required", f(".xrootd.addr"))
			}
			if !strings.HasPrefix(x.Root, "/") || strings.Contains(x.Root, "..") {
				bad("%s: %q must be an absolute path without ..", f(".xrootd.root"), x.Root)
			}
		}
		if s := d.S3; s != nil {
			n++
			if s.Endpoint == "" || s.Bucket == "" {
				bad("%s: endpoint and bucket are required", f(".s3"))
			}
			if s.Prefix != "" && !strings.HasSuffix(s.Prefix, "/") {
				bad("%s: %q must end with /", f(".s3.prefix"), s.Prefix)
			}
		}
		if q := d.DQM; q != nil {
			n++
			if u, err := url.Parse(q.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				bad("%s: %q is not an http(s) URL", f(".dqm.url"), q.URL)
			}
		}
		if n != 1 {
			bad("%s: exactly one of xrootd, s3 and dqm is needed", f(""))
		}
	}
}

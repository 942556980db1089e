package config

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/overwatch-dqm/overwatch/retention"
)

// DefaultPruneEvery is how often serve applies a retention policy that
// deletes something.
const DefaultPruneEvery = time.Hour

// Store configures the store: its engines and its retention. The default
// engines (SQLite index in the data directory, snapshot files in the data
// directory) let several processes of one machine (serve, process, web,
// receive dqm) share one data directory.
type Store struct {
	// Index is the index engine: "sqlite" (default: overwatch.db in the
	// data directory) or "postgres", whose DSN (with its password) comes
	// from the environment variable OVERWATCH_PG_DSN only, never from
	// the file.
	Index string `yaml:"index"`
	// Blobs is where snapshot files are kept (ParseBlobs): "dir"
	// (default: the data directory, original Run<N>/<SYS>/… layout), an
	// S3 bucket "s3://host[:port]/bucket[/prefix/]" (keys from
	// $OVERWATCH_S3_ACCESS_KEY and $OVERWATCH_S3_SECRET_KEY) or an XRootD
	// (EOS) directory "root://host[:port]//absolute/path".
	Blobs string `yaml:"blobs"`
	// DSN is the PostgreSQL DSN from $OVERWATCH_PG_DSN.
	DSN string `yaml:"-"`
	// S3Access and S3Secret are the S3 credentials of Blobs, from
	// $OVERWATCH_S3_ACCESS_KEY and $OVERWATCH_S3_SECRET_KEY only.
	S3Access string `yaml:"-"`
	S3Secret string `yaml:"-"`
	// Retention is what the store may forget (package retention); the zero
	// policy, the default, keeps everything. serve applies it every
	// PruneEvery, `overwatch store prune` once.
	Retention retention.Policy `yaml:"retention"`
	// PruneEvery is the period of serve's pruning (DefaultPruneEvery when
	// zero).
	PruneEvery time.Duration `yaml:"pruneEvery"`
}

// IndexOption returns what store.Options.Index wants: "" for SQLite, the
// DSN for PostgreSQL.
func (s Store) IndexOption() string {
	if s.Index == "postgres" {
		return s.DSN
	}
	return ""
}

func (s Store) validate(bad func(string, ...any)) {
	if err := s.Retention.Validate(); err != nil {
		bad("store.retention: %v", err)
	}
	if s.PruneEvery < 0 {
		bad("store.pruneEvery: must not be negative")
	}
	switch s.Index {
	case "", "sqlite":
	case "postgres":
		if s.DSN == "" {
			bad("store.index: postgres needs its DSN in $OVERWATCH_PG_DSN (e.g. postgres://overwatch@db.example/overwatch)")
		}
	default:
		bad("store.index: %q is not sqlite or postgres", s.Index)
	}
	b, err := ParseBlobs(s.Blobs)
	if err != nil {
		bad("store.blobs: %v", err)
	} else if b.S3 != nil && (s.S3Access == "" || s.S3Secret == "") {
		bad("store.blobs: an S3 bucket needs its keys in $%s and $%s", EnvS3Access, EnvS3Secret)
	}
}

// The environment variables of the store's S3 credentials.
const (
	EnvS3Access = "OVERWATCH_S3_ACCESS_KEY"
	EnvS3Secret = "OVERWATCH_S3_SECRET_KEY"
)

// Blobs is a parsed store.blobs (or --blobs): the data directory when
// both S3 and XRootD are nil.
type Blobs struct {
	S3     *TransferS3
	XRootD *TransferXRootD
}

// ParseBlobs parses where snapshot files are kept:
//
//   - "" or "dir": the data directory;
//   - "s3://host[:port]/bucket[/prefix/]" (HTTPS) or
//     "s3+http://host[:port]/bucket[/prefix/]" (plain HTTP), with an
//     optional "?region=…";
//   - "root://host[:port]//absolute/path" (XRootD, EOS), with an optional
//     "?user=…" login name.
func ParseBlobs(v string) (Blobs, error) {
	if v == "" || v == "dir" {
		return Blobs{}, nil
	}
	u, err := url.Parse(v)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" {
		return Blobs{}, fmt.Errorf("%q is not dir, s3://host/bucket[/prefix/] or root://host//path", v)
	}
	q := u.Query()
	for k := range q {
		if k != "region" && k != "user" {
			return Blobs{}, fmt.Errorf("%q: unknown parameter %q", v, k)
		}
	}
	switch u.Scheme {
	case "s3", "s3+http":
		if q.Has("user") {
			return Blobs{}, fmt.Errorf("%q: user is for root:// only (S3 keys come from the environment)", v)
		}
		bucket, prefix, _ := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
		if !s3Bucket.MatchString(bucket) {
			return Blobs{}, fmt.Errorf("%q: %q is not an S3 bucket name", v, bucket)
		}
		if prefix != "" && (!strings.HasSuffix(prefix, "/") || strings.Contains(prefix, "//") || strings.Contains("/"+prefix, "/../")) {
			return Blobs{}, fmt.Errorf("%q: the prefix %q must end with / and hold no empty or .. segment", v, prefix)
		}
		return Blobs{S3: &TransferS3{Endpoint: u.Host, Bucket: bucket, Prefix: prefix, Region: q.Get("region"), Insecure: u.Scheme == "s3+http"}}, nil
	case "root", "xroot":
		if q.Has("region") {
			return Blobs{}, fmt.Errorf("%q: region is for s3:// only", v)
		}
		root := strings.TrimPrefix(u.Path, "/")
		if !strings.HasPrefix(root, "/") || strings.Contains(root+"/", "/../") || len(root) < 2 {
			return Blobs{}, fmt.Errorf("%q: want root://host//absolute/path (no ..)", v)
		}
		return Blobs{XRootD: &TransferXRootD{Addr: u.Host, Root: root, User: q.Get("user")}}, nil
	}
	return Blobs{}, fmt.Errorf("%q is not dir, s3://host/bucket[/prefix/] or root://host//path", v)
}

// s3Bucket is the S3 bucket-name grammar (3–63 lower-case letters,
// digits, dots and dashes).
var s3Bucket = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

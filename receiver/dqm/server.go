// Package dqm is the DQM REST receiver: the DQM system (AMORE agents)
// uploads ROOT files over HTTP; each valid upload becomes a snapshot in the
// store. The API is the original Overwatch one (GET /, GET|POST
// /rest/api/files, GET /rest/api/files/<name>, with its status codes and
// messages), hardened: per-client tokens stored hashed and compared in
// constant time, "Authorization: Bearer" as well as the "token" header, no
// token echoed or logged, a size limit, uploads streamed to a temporary
// file and validated before they are stored, never an overwrite (409), and
// invalid uploads quarantined. See docs/dqm.md for the differences from the
// original.
package dqm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/julienschmidt/httprouter"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/internal/fsutil"
	"github.com/overwatch-dqm/overwatch/store"
)

// Defaults of Config.
const (
	// DefaultMaxSize is the default upload size limit (256 MiB).
	DefaultMaxSize = 256 << 20
	// DefaultMaxDecodedBytes bounds the uncompressed payload bytes decoded
	// from one upload (128 MiB).
	DefaultMaxDecodedBytes = 128 << 20
	// DefaultMaxCells bounds the histogram cells (bins, errors, points)
	// decoded from one upload, summed over its objects (16 Mi cells, 128 MiB
	// once decoded).
	DefaultMaxCells = 16 << 20
	// DefaultMaxConcurrent is the number of uploads handled at once;
	// more get 429 with Retry-After.
	DefaultMaxConcurrent = 4
	// DefaultQuarantineMaxBytes bounds the quarantine (1 GiB).
	DefaultQuarantineMaxBytes = 1 << 30
	// DefaultQuarantineMaxAge is how long a quarantined upload is kept
	// (7 days).
	DefaultQuarantineMaxAge = 7 * 24 * time.Hour
	// retryAfter is the Retry-After of a 429, in seconds.
	retryAfter = 2
)

// Original response messages, kept for compatible clients.
const (
	MsgNoToken      = "Must pass a token!"
	MsgBadToken     = "Received token, but it is invalid!"
	MsgNotImpl      = "Not implemented"
	MsgEmpty        = "No file uploaded and the payload was empty"
	MsgOK           = "Successfully received file and extracted information"
	MsgInvalidFile  = "Successfully received the file, but the file is not valid! Perhaps it was corrupted?"
	MsgExists       = "A file with this name was received already; it is never overwritten"
	MsgDuplicate    = "Successfully received the file: it holds the same objects as the newest snapshot of its run, which is kept; not stored again"
	msgTooLargeFmt  = "The upload is larger than the limit of %d bytes"
	msgBadHeaderFmt = "invalid literal for int() with base 10: %s (header %s must be an integer)"
)

// Config configures the receiver.
type Config struct {
	// Store receives the uploads as snapshots (mode DQM). Required.
	Store overwatch.SnapshotStore
	// DataDir is the store's data directory: uploads are listed in
	// <DataDir>/uploads (hard links to the stored snapshots, under their
	// original names) and invalid ones moved to <DataDir>/quarantine/dqm.
	// Required.
	DataDir string
	// Tokens authorises clients. Required, with at least one token.
	Tokens *Tokens
	// MaxSize limits an upload's size in bytes (DefaultMaxSize when 0).
	MaxSize int64
	// MaxDecodedBytes and MaxCells bound the memory that decoding one
	// upload may take, over all its objects (overwatch.DecodeLimits;
	// DefaultMaxDecodedBytes and DefaultMaxCells when 0). An upload beyond
	// them is refused with 413 before the memory is allocated.
	MaxDecodedBytes, MaxCells int64
	// MaxConcurrent bounds the uploads handled at once
	// (DefaultMaxConcurrent when 0); beyond it uploads get 429 with
	// Retry-After before their body is read.
	MaxConcurrent int
	// QuarantineMaxBytes and QuarantineMaxAge bound the quarantine of
	// invalid uploads: the oldest are evicted once the total exceeds
	// QuarantineMaxBytes, and any older than QuarantineMaxAge
	// (DefaultQuarantineMaxBytes and DefaultQuarantineMaxAge when 0).
	QuarantineMaxBytes int64
	QuarantineMaxAge   time.Duration
	// Validate decodes an upload (overwatch.DecodeFileLimited within the
	// limits above when nil). The bytes are a read-only mapping of the
	// received file: Validate must not keep them.
	Validate func(data []byte) (*overwatch.File, error)
	// Accumulation is recorded with the uploads that do not say with the
	// header "accumulation" (cumulative or reset) whether they hold the
	// run so far or what arrived since the previous upload (unset when
	// empty: readers apply their default).
	Accumulation overwatch.Accumulation
	// Logger receives the receiver's logs (slog.Default when nil).
	Logger *slog.Logger
}

// Stats counts what the receiver did.
type Stats struct {
	Uploads, Accepted, Rejected, Quarantined, Conflicts, TooLarge, Unauthorized uint64
	// Busy counts uploads refused with 429 (MaxConcurrent reached).
	Busy uint64
	// QuarantineEvicted counts quarantined uploads evicted by the bounds.
	QuarantineEvicted uint64
	// QuarantineBytes is the size of the quarantine after its last change.
	QuarantineBytes int64
}

// Server is the DQM receiver's HTTP handler.
type Server struct {
	cfg    Config
	log    *slog.Logger
	router *httprouter.Router

	uploads, accepted, rejected, quarantined, conflicts, tooLarge, unauthorized atomic.Uint64
	busy, evicted                                                               atomic.Uint64
	quarantineBytes                                                             atomic.Int64

	slots chan struct{} // one per upload being handled

	namesMu sync.Mutex
	names   map[string]bool // upload names being stored right now

	quarantineMu sync.Mutex

	duplicates atomic.Uint64
	lastMu     sync.Mutex
	last       map[string]lastStored // newest stored snapshot per subsystem
}

// New returns the receiver's handler.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.DataDir == "" {
		return nil, errors.New("dqm: Config.Store and Config.DataDir are required")
	}
	if cfg.Tokens == nil || cfg.Tokens.Len() == 0 {
		return nil, fmt.Errorf("dqm: no upload token exists; create one with 'overwatch tokens add --data %s NAME'", cfg.DataDir)
	}
	if cfg.MaxSize <= 0 {
		cfg.MaxSize = DefaultMaxSize
	}
	if cfg.MaxDecodedBytes <= 0 {
		cfg.MaxDecodedBytes = DefaultMaxDecodedBytes
	}
	if cfg.MaxCells <= 0 {
		cfg.MaxCells = DefaultMaxCells
	}
	if cfg.MaxConcurrent <= 0 {
		cfg.MaxConcurrent = DefaultMaxConcurrent
	}
	if cfg.QuarantineMaxBytes <= 0 {
		cfg.QuarantineMaxBytes = DefaultQuarantineMaxBytes
	}
	if cfg.QuarantineMaxAge <= 0 {
		cfg.QuarantineMaxAge = DefaultQuarantineMaxAge
	}
	if cfg.Validate == nil {
		lim := overwatch.DecodeLimits{MaxBytes: cfg.MaxDecodedBytes, MaxCells: cfg.MaxCells}
		cfg.Validate = func(data []byte) (*overwatch.File, error) { return overwatch.DecodeFileLimited(data, lim) }
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{cfg: cfg, log: cfg.Logger.With("component", "dqm"), names: map[string]bool{},
		slots: make(chan struct{}, cfg.MaxConcurrent)}
	s.removeStaleTemporaries()
	s.pruneQuarantine(time.Now())
	r := httprouter.New()
	r.RedirectTrailingSlash = false
	r.RedirectFixedPath = false
	r.HandleMethodNotAllowed = true
	r.GET("/", s.auth(s.notImplemented))
	r.POST("/", s.auth(s.notImplemented))
	r.GET("/rest/api/files", s.auth(s.listFiles))
	r.POST("/rest/api/files", s.auth(s.upload))
	r.GET("/rest/api/files/:name", s.auth(s.getFile))
	r.NotFound = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]any{"message": "Not found"})
	})
	r.MethodNotAllowed = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"message": "Method not allowed"})
	})
	r.PanicHandler = func(w http.ResponseWriter, req *http.Request, v any) {
		s.log.Error("dqm: handler panic", "panic", v, "path", req.URL.Path, "stack", string(debug.Stack()))
		writeJSON(w, http.StatusInternalServerError, map[string]any{"message": "internal error"})
	}
	s.router = r
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.router.ServeHTTP(w, r) }

// Stats returns the counters.
func (s *Server) Stats() Stats {
	return Stats{
		Uploads: s.uploads.Load(), Accepted: s.accepted.Load(), Rejected: s.rejected.Load(),
		Quarantined: s.quarantined.Load(), Conflicts: s.conflicts.Load(), TooLarge: s.tooLarge.Load(),
		Unauthorized: s.unauthorized.Load(), Busy: s.busy.Load(), QuarantineEvicted: s.evicted.Load(),
		QuarantineBytes: s.quarantineBytes.Load(),
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

type ctxKey struct{}

// auth checks the token (Bearer or "token" header) before h.
func (s *Server) auth(h httprouter.Handle) httprouter.Handle {
	return func(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
		tok := bearer(r.Header.Get("Authorization"), r.Header.Get("token"))
		if tok == "" {
			s.unauthorized.Add(1)
			writeJSON(w, http.StatusBadRequest, map[string]any{"message": MsgNoToken})
			return
		}
		client, err := s.cfg.Tokens.Check(tok)
		if err != nil {
			s.unauthorized.Add(1)
			s.log.Warn("dqm: request with an invalid token", "remote", r.RemoteAddr, "path", r.URL.Path)
			writeJSON(w, http.StatusBadRequest, map[string]any{"message": MsgBadToken})
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, client)), ps)
	}
}

func (s *Server) notImplemented(w http.ResponseWriter, _ *http.Request, _ httprouter.Params) {
	writeJSON(w, http.StatusBadRequest, map[string]any{"message": MsgNotImpl})
}

func (s *Server) uploadsDir() string { return filepath.Join(s.cfg.DataDir, "uploads") }

func (s *Server) listFiles(w http.ResponseWriter, _ *http.Request, _ httprouter.Params) {
	ents, err := os.ReadDir(s.uploadsDir())
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		s.log.Error("dqm: listing uploads", "err", err)
		writeJSON(w, http.StatusInternalServerError, map[string]any{"message": "cannot list the uploads"})
		return
	}
	files := []string{}
	for _, e := range ents {
		if e.Type().IsRegular() && strings.Contains(strings.ToUpper(e.Name()), "DQM") && validUploadName(e.Name()) {
			files = append(files, e.Name())
		}
	}
	sort.Strings(files)
	writeJSON(w, http.StatusOK, map[string]any{"files": files})
}

// validUploadName accepts only names the receiver itself writes, so that
// nothing else of the data directory can be reached.
func validUploadName(name string) bool {
	n, err := store.ParseReceiverName(name)
	return err == nil && n.Mode == overwatch.ModeDQM && !strings.ContainsAny(name, `/\`)
}

func (s *Server) getFile(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
	name := ps.ByName("name")
	if !validUploadName(name) {
		writeJSON(w, http.StatusNotFound, map[string]any{"message": "No such file"})
		return
	}
	f, err := os.Open(filepath.Join(s.uploadsDir(), name))
	if err != nil {
		writeJSON(w, http.StatusNotFound, map[string]any{"message": "No such file"})
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		writeJSON(w, http.StatusNotFound, map[string]any{"message": "No such file"})
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	http.ServeContent(w, r, name, st.ModTime(), f)
}

// sentHeaders returns the request headers echoed in responses, without
// credentials.
func sentHeaders(r *http.Request) map[string]string {
	out := map[string]string{}
	for k, v := range r.Header {
		switch strings.ToLower(k) {
		case "token", "authorization", "cookie":
			continue
		}
		out[k] = strings.Join(v, ", ")
	}
	return out
}

// header reads an integer header; absent gives def.
func header(r *http.Request, name string, def int64) (int64, string) {
	v := r.Header.Get(name)
	if v == "" {
		return def, ""
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return 0, fmt.Sprintf(msgBadHeaderFmt, pyRepr(v), name)
	}
	return n, ""
}

// pyRepr quotes like Python's repr of a str, as in the original message.
func pyRepr(s string) string {
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		return `"` + s + `"`
	}
	return "'" + strings.ReplaceAll(s, "'", `\'`) + "'"
}

func (s *Server) upload(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
	s.uploads.Add(1)
	headers := sentHeaders(r)
	fail := func(status int, body map[string]any) {
		s.rejected.Add(1)
		body["status"] = status
		if _, ok := body["received"]; !ok {
			body["received"] = nil
		}
		body["receivedHeaders"] = headers
		writeJSON(w, status, body)
	}
	// Headers first (the original parses them before anything else).
	run, e1 := header(r, "runNumber", -1)
	ts, e2 := header(r, "timeStamp", -1)
	_, e3 := header(r, "dataStatus", -1)
	var msgs []string
	for _, e := range []string{e1, e2, e3} {
		if e != "" {
			msgs = append(msgs, e)
		}
	}
	if len(msgs) > 0 {
		fail(http.StatusBadRequest, map[string]any{"message": msgs})
		return
	}
	// A run number the store cannot hold is refused at the door, before
	// the body is read.
	if run > overwatch.MaxRun {
		fail(http.StatusBadRequest, map[string]any{"message": fmt.Sprintf("header runNumber %d is outside the valid run numbers 1 to %d", run, overwatch.MaxRun)})
		return
	}
	agent := r.Header.Get("amoreAgent")
	if agent == "" {
		agent = "DQM"
	}
	acc, err := overwatch.ParseAccumulation(r.Header.Get("accumulation"))
	if err != nil {
		fail(http.StatusBadRequest, map[string]any{"message": fmt.Sprintf("header accumulation %q is not cumulative or reset", r.Header.Get("accumulation"))})
		return
	}
	acc = acc.Or(s.cfg.Accumulation)
	select {
	case s.slots <- struct{}{}:
		defer func() { <-s.slots }()
	default:
		s.busy.Add(1)
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
		fail(http.StatusTooManyRequests, map[string]any{"message": fmt.Sprintf("%d uploads are being received: retry in %d s", s.cfg.MaxConcurrent, retryAfter)})
		return
	}

	// The body: a multipart "file" field or the raw payload, streamed to
	// a temporary file under the size limit.
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxSize+1<<20) // room for multipart framing
	tmp, n, err := s.receiveBody(r)
	if tmp != "" {
		defer os.Remove(tmp)
	}
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe) || errors.Is(err, errTooLarge) || n > s.cfg.MaxSize:
		s.tooLarge.Add(1)
		fail(http.StatusRequestEntityTooLarge, map[string]any{"message": fmt.Sprintf(msgTooLargeFmt, s.cfg.MaxSize)})
		return
	case err != nil:
		fail(http.StatusBadRequest, map[string]any{"message": "The upload could not be read: " + err.Error()})
		return
	case n == 0:
		fail(http.StatusBadRequest, map[string]any{"message": MsgEmpty})
		return
	}

	// Header values that the original defaulted to -1 are required now.
	switch {
	case !overwatch.ValidSubsystem(agent):
		fail(http.StatusBadRequest, map[string]any{"message": fmt.Sprintf("header amoreAgent %q is not a subsystem name (2-8 upper-case letters or digits, e.g. EMC)", agent)})
		return
	case run <= 0:
		fail(http.StatusBadRequest, map[string]any{"message": "header runNumber is required: a positive run number"})
		return
	case ts < 0 || ts > time.Now().Add(24*time.Hour).Unix():
		fail(http.StatusBadRequest, map[string]any{"message": "header timeStamp is required: the Unix time (seconds) of the data"})
		return
	}
	t := time.Unix(ts, 0)
	name := store.FormatReceiverName(agent, int(run), overwatch.ModeDQM, t, 0, true)

	// Validate a read-only mapping of the received file: it is never read
	// whole into memory, and a file refused after its first bytes costs
	// only those.
	data, release, err := fsutil.MapFile(tmp)
	if err != nil {
		s.log.Error("dqm: reading the received upload", "err", err)
		fail(http.StatusInternalServerError, map[string]any{"message": "internal error"})
		return
	}
	received, hash, verr := s.validate(data)
	_ = release()
	if errors.Is(verr, overwatch.ErrTooLarge) {
		s.tooLarge.Add(1)
		s.log.Warn("dqm: upload refused: decoding it would exceed the memory budget", "file", name, "err", verr)
		fail(http.StatusRequestEntityTooLarge, map[string]any{"message": fmt.Sprintf(
			"The file would decode to more than the receiver's budget of %d bytes or %d histogram cells: %v", s.cfg.MaxDecodedBytes, s.cfg.MaxCells, verr),
			"filename": name})
		return
	}
	if verr != nil {
		where := s.quarantine(tmp, name, verr)
		s.log.Warn("dqm: invalid upload quarantined", "file", name, "quarantine", where, "err", verr)
		fail(http.StatusBadRequest, map[string]any{"message": MsgInvalidFile, "filename": name})
		return
	}

	if !s.reserve(name) {
		s.conflicts.Add(1)
		fail(http.StatusConflict, map[string]any{"message": MsgExists, "filename": name})
		return
	}
	defer s.release(name)
	link := filepath.Join(s.uploadsDir(), name)
	if _, err := os.Lstat(link); err == nil {
		s.conflicts.Add(1)
		fail(http.StatusConflict, map[string]any{"message": MsgExists, "filename": name})
		return
	}
	if prev, dup := s.duplicateOf(r.Context(), int(run), agent, hash); dup {
		s.duplicates.Add(1)
		s.log.Info("dqm: upload not stored again: same objects as the newest snapshot", "file", name, "snapshot", prev.Path)
		writeJSON(w, http.StatusOK, map[string]any{
			"status": http.StatusOK, "message": MsgDuplicate, "filename": name, "duplicateOf": prev.Path,
			"received": received, "receivedHeaders": headers,
		})
		return
	}
	f, err := os.Open(tmp)
	if err != nil {
		s.log.Error("dqm: reading the received upload", "err", err)
		fail(http.StatusInternalServerError, map[string]any{"message": "internal error"})
		return
	}
	defer f.Close()
	info, err := s.cfg.Store.PutSnapshot(r.Context(), overwatch.SnapshotMeta{
		Run: int(run), Subsystem: agent, Mode: overwatch.ModeDQM, Time: t, Origin: "dqm", Accumulation: acc,
	}, f)
	if err != nil {
		s.log.Error("dqm: storing upload", "file", name, "err", err)
		fail(http.StatusInternalServerError, map[string]any{"message": "The upload could not be stored", "filename": name})
		return
	}
	s.remember(agent, lastStored{ref: info.SnapshotRef, hash: hash})
	if err := s.linkUpload(info, link, tmp); err != nil {
		s.log.Error("dqm: listing upload", "file", name, "err", err)
	}
	s.accepted.Add(1)
	s.log.Info("dqm: upload stored", "file", name, "snapshot", info.Path, "bytes", n, "client", r.Context().Value(ctxKey{}))
	writeJSON(w, http.StatusOK, map[string]any{
		"status": http.StatusOK, "message": MsgOK, "filename": name,
		"received": received, "receivedHeaders": headers,
	})
}

var errTooLarge = errors.New("upload too large")

// receiveBody streams the multipart "file" field, or else the raw body, to
// a temporary file and returns its path and size.
func (s *Server) receiveBody(r *http.Request) (string, int64, error) {
	dir := filepath.Join(s.cfg.DataDir, "tmp")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", 0, err
	}
	f, err := os.CreateTemp(dir, "dqm-upload-*")
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	var src io.Reader = r.Body
	ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if strings.HasPrefix(ct, "multipart/") && params["boundary"] != "" {
		mr := multipart.NewReader(r.Body, params["boundary"])
		src = nil
		for {
			p, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return f.Name(), 0, err
			}
			if p.FormName() == "file" {
				src = p
				break
			}
			if _, err := io.Copy(io.Discard, io.LimitReader(p, 1<<20)); err != nil {
				return f.Name(), 0, err
			}
		}
		if src == nil {
			return f.Name(), 0, nil
		}
	}
	n, err := io.Copy(f, io.LimitReader(src, s.cfg.MaxSize+1))
	if err != nil {
		return f.Name(), n, err
	}
	if n > s.cfg.MaxSize {
		return f.Name(), n, errTooLarge
	}
	// No fsync: this file is only read back for validation; the store
	// syncs the snapshot it writes.
	return f.Name(), n, nil
}

// validate decodes the upload in isolation from everything stored; it must
// hold at least one object. It returns the original "received" summary.
func (s *Server) validate(data []byte) (received map[string]string, hash [32]byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("decoder panic: %v", r)
		}
	}()
	f, err := s.cfg.Validate(data)
	if err != nil {
		return nil, hash, err
	}
	if len(f.Entries) == 0 {
		return nil, hash, errors.New("the file holds no object")
	}
	received = make(map[string]string, len(f.Entries))
	for _, e := range f.Entries {
		received[e.Path()] = fmt.Sprintf("Obj name: %s, Obj IsA() Name: %s", e.Object.ObjectName(), e.Object.ClassName())
	}
	return received, overwatch.ContentHash(f.Entries), nil
}

// duplicateOf returns the newest stored snapshot of (run, sys) when it
// holds the same objects as an upload with content hash h (the one
// duplicate rule, overwatch.ContentHash, as the HLT receiver and drop-folder
// ingestion apply it: AMORE repeats its last state after the end of a run).
// The newest snapshot's hash is remembered per subsystem, so an upload
// decodes a stored file only after a restart or another writer's upload.
func (s *Server) duplicateOf(ctx context.Context, run int, sys string, h [32]byte) (overwatch.SnapshotInfo, bool) {
	snaps, err := s.cfg.Store.Snapshots(ctx, run, sys)
	if err != nil || len(snaps) == 0 {
		return overwatch.SnapshotInfo{}, false
	}
	last := snaps[len(snaps)-1]
	s.lastMu.Lock()
	known, ok := s.last[sys]
	s.lastMu.Unlock()
	if !ok || known.ref != last.SnapshotRef {
		rc, err := s.cfg.Store.OpenSnapshot(ctx, last.SnapshotRef)
		if err != nil {
			return overwatch.SnapshotInfo{}, false
		}
		data, err := io.ReadAll(io.LimitReader(rc, s.cfg.MaxSize+1))
		rc.Close()
		if err != nil {
			return overwatch.SnapshotInfo{}, false
		}
		_, lh, err := s.validate(data)
		if err != nil {
			return overwatch.SnapshotInfo{}, false
		}
		known = lastStored{ref: last.SnapshotRef, hash: lh}
		s.remember(sys, known)
	}
	return last, known.hash == h
}

// lastStored is the newest snapshot of a subsystem and its content hash.
type lastStored struct {
	ref  overwatch.SnapshotRef
	hash [32]byte
}

func (s *Server) remember(sys string, l lastStored) {
	s.lastMu.Lock()
	defer s.lastMu.Unlock()
	if s.last == nil {
		s.last = map[string]lastStored{}
	}
	s.last[sys] = l // one entry per subsystem: bounded by the valid subsystem names uploaded
}

func (s *Server) reserve(name string) bool {
	s.namesMu.Lock()
	defer s.namesMu.Unlock()
	if s.names[name] {
		return false
	}
	s.names[name] = true
	return true
}

func (s *Server) release(name string) {
	s.namesMu.Lock()
	delete(s.names, name)
	s.namesMu.Unlock()
}

// linkUpload lists a stored upload under its original name: a hard link
// to the stored snapshot (no extra space), or else to the received file.
func (s *Server) linkUpload(info overwatch.SnapshotInfo, link, received string) error {
	if err := os.MkdirAll(s.uploadsDir(), 0o755); err != nil {
		return err
	}
	if err := os.Link(filepath.Join(s.cfg.DataDir, filepath.FromSlash(info.Path)), link); err == nil {
		return nil
	}
	return os.Link(received, link)
}

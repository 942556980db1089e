package webapp

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/julienschmidt/httprouter"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/quality"
	"github.com/overwatch-dqm/overwatch/quality/observe"
)

// apiReferenceUpload stores an uploaded reference file and declares it the
// reference of a subsystem for a run range:
//
//	POST /api/references/file?sys=EMC&first=100&last=200&name=ref.root&comment=…&version=0
//
// with the ROOT file as the body. It needs the expert role (and, as every
// cookie session's POST, the CSRF header). A file that is not a readable
// ROOT file with histograms is a 400 and nothing is stored.
func (a *App) apiReferenceUpload(w http.ResponseWriter, r *http.Request, _ httprouter.Params, s *session) error {
	if err := a.require(s, PermReferences); err != nil {
		return err
	}
	docs, err := a.documents()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	num := func(k string) (int, error) { return intField(q, k) }
	req := referenceRequest{Subsystem: q.Get("sys"), Comment: q.Get("comment"), FileName: q.Get("name")}
	if req.FileName == "" {
		req.FileName = "reference.root"
	}
	if req.First, err = num("first"); err != nil {
		return err
	}
	if req.Last, err = num("last"); err != nil {
		return err
	}
	v, err := num("version")
	if err != nil {
		return err
	}
	req.Version = int64(v)
	// The range is validated before the file is read or stored.
	if err := (quality.Reference{Subsystem: req.Subsystem, First: req.First, Last: req.Last, File: strings.Repeat("0", 64), FileName: req.FileName}).Validate(); err != nil {
		return errorf(http.StatusBadRequest, "%v", err)
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, quality.MaxReferenceFile+1))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return errorf(http.StatusRequestEntityTooLarge, "a reference file of at most %d bytes", quality.MaxReferenceFile)
	}
	if err != nil {
		return errorf(http.StatusBadRequest, "reading the reference file: %v", err)
	}
	rf, err := observe.UploadReferenceFile(r.Context(), docs, req.Subsystem, req.FileName, data, s.User)
	if errors.Is(err, quality.ErrReference) {
		return errorf(http.StatusBadRequest, "%v", err)
	}
	if err != nil {
		return err
	}
	req.File = rf.ID
	ref, err := a.setReference(r.Context(), s, req, false)
	if err != nil {
		return err
	}
	a.log.Info("reference file uploaded", "id", rf.ID, "name", rf.Name, "size", rf.Size, "hists", rf.Hists, "user", s.User)
	writeJSON(w, http.StatusOK, map[string]any{"reference": ref, "file": rf})
	return nil
}

// apiReferenceFileJSON serves one histogram of a stored reference file as
// JSROOT JSON (?name=…), for the reference overlay.
func (a *App) apiReferenceFileJSON(w http.ResponseWriter, r *http.Request, ps httprouter.Params, _ *session) error {
	if a.refFiles == nil {
		_, err := a.documents()
		return err
	}
	id, name := ps.ByName("id"), r.URL.Query().Get("name")
	if !quality.ValidReferenceFileID(id) {
		return errorf(http.StatusBadRequest, "invalid reference file %q", id)
	}
	h, rf, err := a.refFiles.Hist(r.Context(), id, name)
	if errors.Is(err, overwatch.ErrNotFound) {
		return errorf(http.StatusNotFound, "no reference file %s", id)
	}
	if err != nil {
		return err
	}
	if h == nil {
		return errorf(http.StatusNotFound, "reference file %s (%s) has no histogram %q", rf.Name, id[:12], name)
	}
	b, err := overwatch.MarshalJSON(h)
	if err != nil {
		return fmt.Errorf("reference file %s %s: %w", id, name, err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "private, max-age=3600") // content-addressed
	_, err = w.Write(b)
	return err
}

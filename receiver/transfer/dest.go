package transfer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/store/blob"
)

// Bucket is a destination on a blob.Bucket: the snapshot is stored under
// its path in the store (Run<N>/<SYS>/<file>.root, the original layout).
type Bucket struct {
	// ID is the destination's name.
	ID string
	// Bucket receives the copies.
	Bucket blob.Bucket
}

// Name returns b.ID.
func (b *Bucket) Name() string { return b.ID }

// Send puts the snapshot under its path.
func (b *Bucket) Send(ctx context.Context, s overwatch.SnapshotInfo, r io.Reader) (string, error) {
	_, err := b.Bucket.Put(ctx, s.Path, r)
	return s.Path, err
}

// Sum reads the object back and hashes it.
func (b *Bucket) Sum(ctx context.Context, key string) (string, error) {
	rc, err := b.Bucket.Open(ctx, key, 0, -1)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, rc); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// DQM is a destination on another Overwatch's DQM upload endpoint
// (docs/dqm.md): the snapshot is uploaded as a DQM file of its run and
// subsystem (amoreAgent) at its time.
type DQM struct {
	// ID is the destination's name.
	ID string
	// URL is the receiver's base URL (e.g. https://overwatch.site-b.org:8443).
	URL string
	// Token is the receiver's client token (from the environment).
	Token string
	// Client makes the requests (a client with a 2-minute timeout when nil).
	Client *http.Client
}

// Name returns d.ID.
func (d *DQM) Name() string { return d.ID }

func (d *DQM) client() *http.Client {
	if d.Client != nil {
		return d.Client
	}
	return &http.Client{Timeout: 2 * time.Minute}
}

// maxAnswer bounds the JSON answers read from the receiver.
const maxAnswer = 1 << 20

// Send uploads the snapshot; 409 (a file of that name was received
// already) wraps blob.ErrExist.
func (d *DQM) Send(ctx context.Context, s overwatch.SnapshotInfo, r io.Reader) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(d.URL, "/")+"/rest/api/files", r)
	if err != nil {
		return "", err
	}
	if s.Size > 0 {
		req.ContentLength = s.Size
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Authorization", "Bearer "+d.Token)
	req.Header.Set("runNumber", strconv.Itoa(s.Run))
	req.Header.Set("timeStamp", strconv.FormatInt(s.Time.Unix(), 10))
	req.Header.Set("amoreAgent", s.Subsystem)
	req.Header.Set("dataStatus", "1")
	resp, err := d.client().Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var ans struct {
		Message  any    `json:"message"`
		Filename string `json:"filename"`
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	_ = json.Unmarshal(raw, &ans)
	switch {
	case resp.StatusCode == http.StatusOK && ans.Filename != "":
		return ans.Filename, nil
	case resp.StatusCode == http.StatusConflict && ans.Filename != "":
		return ans.Filename, fmt.Errorf("dqm upload: %v: %w", ans.Message, blob.ErrExist)
	default:
		return "", fmt.Errorf("dqm upload: %s: %v", resp.Status, ans.Message)
	}
}

// Sum downloads the accepted upload and hashes it.
func (d *DQM) Sum(ctx context.Context, name string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(d.URL, "/")+"/rest/api/files/"+url.PathEscape(name), nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+d.Token)
	resp, err := d.client().Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("dqm download %s: %s", name, resp.Status)
	}
	h := sha256.New()
	if _, err := io.Copy(h, resp.Body); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

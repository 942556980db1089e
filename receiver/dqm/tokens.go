package dqm

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/overwatch-dqm/overwatch/internal/fsutil"
)

// TokensPath returns where the upload tokens of a data directory are
// kept: <data>/secrets/dqm-tokens.json (directory 0700, file 0600).
func TokensPath(dataDir string) string {
	return filepath.Join(dataDir, "secrets", "dqm-tokens.json")
}

// TokenInfo describes a stored token. The token itself is never stored:
// only its SHA-256 (tokens are 256-bit random values, so a fast hash is
// enough).
type TokenInfo struct {
	Name    string    `json:"name"`
	Hash    string    `json:"sha256"`
	Created time.Time `json:"created"`
}

// ErrNoToken is returned when a token is unknown.
var ErrNoToken = errors.New("dqm: unknown token")

// Tokens is the set of upload tokens of a data directory. Its methods are
// safe for concurrent use; changes are written to disk at once (atomic
// replace, mode 0600).
type Tokens struct {
	path string
	mu   sync.RWMutex
	list []TokenInfo
}

// OpenTokens loads the token file (an absent file is an empty set).
func OpenTokens(path string) (*Tokens, error) {
	t := &Tokens{path: path}
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return t, nil
	case err != nil:
		return nil, fmt.Errorf("dqm: reading tokens: %w", err)
	}
	if err := json.Unmarshal(b, &t.list); err != nil {
		return nil, fmt.Errorf("dqm: token file %s is corrupt: %w", path, err)
	}
	for _, ti := range t.list {
		if h, err := hex.DecodeString(ti.Hash); err != nil || len(h) != sha256.Size {
			return nil, fmt.Errorf("dqm: token %q in %s has an invalid hash", ti.Name, path)
		}
	}
	return t, nil
}

// validTokenName accepts names of clients: letters, digits, '-', '_', '.'
// (1 to 64 characters).
func validTokenName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

func hashToken(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

// Add creates a token for a client name and returns it; only its hash is
// stored. A name that already has a token is an error (remove it first).
func (t *Tokens) Add(name string, now time.Time) (string, error) {
	if !validTokenName(name) {
		return "", fmt.Errorf("dqm: token name %q: use 1-64 letters, digits, '-', '_' or '.'", name)
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", fmt.Errorf("dqm: generating token: %w", err)
	}
	tok := "owdqm_" + base64.RawURLEncoding.EncodeToString(raw[:])
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, ti := range t.list {
		if ti.Name == name {
			return "", fmt.Errorf("dqm: a token named %q exists already (remove it first)", name)
		}
	}
	list := append(append([]TokenInfo(nil), t.list...), TokenInfo{Name: name, Hash: hashToken(tok), Created: now.UTC()})
	if err := t.save(list); err != nil {
		return "", err
	}
	t.list = list
	return tok, nil
}

// Remove deletes the token of a client name.
func (t *Tokens) Remove(name string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	var list []TokenInfo
	for _, ti := range t.list {
		if ti.Name != name {
			list = append(list, ti)
		}
	}
	if len(list) == len(t.list) {
		return fmt.Errorf("dqm: no token named %q", name)
	}
	if err := t.save(list); err != nil {
		return err
	}
	t.list = list
	return nil
}

// List returns the stored tokens by name (with their hashes; callers show
// names and dates only).
func (t *Tokens) List() []TokenInfo {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := append([]TokenInfo(nil), t.list...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Len returns the number of tokens.
func (t *Tokens) Len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.list)
}

// Check returns the client name of a token. Every stored hash is compared
// in constant time, so the time taken tells nothing about the token.
func (t *Tokens) Check(tok string) (string, error) {
	if tok == "" {
		return "", ErrNoToken
	}
	h := []byte(hashToken(tok))
	t.mu.RLock()
	defer t.mu.RUnlock()
	name := ""
	for _, ti := range t.list {
		if subtle.ConstantTimeCompare(h, []byte(ti.Hash)) == 1 {
			name = ti.Name
		}
	}
	if name == "" {
		return "", ErrNoToken
	}
	return name, nil
}

func (t *Tokens) save(list []TokenInfo) error {
	dir := filepath.Dir(t.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("dqm: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("dqm: %w", err)
	}
	if list == nil {
		list = []TokenInfo{}
	}
	b, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return err
	}
	if err := fsutil.WriteFileAtomic(t.path, append(b, '\n'), 0o600, true); err != nil {
		return fmt.Errorf("dqm: writing tokens: %w", err)
	}
	return nil
}

// bearer extracts the token of a request: "Authorization: Bearer X" or
// the original "token" header.
func bearer(authorization, token string) string {
	if a := strings.TrimSpace(authorization); len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
		return strings.TrimSpace(a[7:])
	}
	return token
}

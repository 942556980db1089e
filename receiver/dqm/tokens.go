package dqm

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/overwatch-dqm/overwatch/internal/secretfile"
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
	mu   sync.RWMutex
	file secretfile.File
	list []TokenInfo
}

// OpenTokens loads the token file (an absent file is an empty set; a file
// that group or others may read is refused).
func OpenTokens(path string) (*Tokens, error) {
	t := &Tokens{file: secretfile.File{Path: path, What: "dqm: token file", Format: `[{"name": …, "sha256": …, "created": …}, …]`}}
	var list []TokenInfo
	err := t.file.Load(&list, func() error {
		for _, ti := range list {
			if !secretfile.ValidHash(ti.Hash) {
				return fmt.Errorf("dqm: token %q in %s has an invalid hash", ti.Name, path)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	t.list = list
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

// Add creates a token for a client name and returns it; only its hash is
// stored. A name that already has a token is an error (remove it first).
func (t *Tokens) Add(name string, now time.Time) (string, error) {
	if !validTokenName(name) {
		return "", fmt.Errorf("dqm: token name %q: use 1-64 letters, digits, '-', '_' or '.'", name)
	}
	secret, err := secretfile.Random(32)
	if err != nil {
		return "", fmt.Errorf("dqm: generating token: %w", err)
	}
	tok := "owdqm_" + secret
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, ti := range t.list {
		if ti.Name == name {
			return "", fmt.Errorf("dqm: a token named %q exists already (remove it first)", name)
		}
	}
	list := append(append([]TokenInfo(nil), t.list...), TokenInfo{Name: name, Hash: secretfile.Hash(tok), Created: now.UTC()})
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
	t.mu.RLock()
	defer t.mu.RUnlock()
	name := ""
	for _, ti := range t.list {
		if secretfile.Matches(tok, ti.Hash) {
			name = ti.Name
		}
	}
	if name == "" {
		return "", ErrNoToken
	}
	return name, nil
}

func (t *Tokens) save(list []TokenInfo) error {
	if list == nil {
		list = []TokenInfo{}
	}
	return t.file.Save(list)
}

// bearer extracts the token of a request: "Authorization: Bearer X" or
// the original "token" header.
func bearer(authorization, token string) string {
	if a := strings.TrimSpace(authorization); len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
		return strings.TrimSpace(a[7:])
	}
	return token
}

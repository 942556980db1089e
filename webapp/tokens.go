package webapp

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/overwatch-dqm/overwatch/internal/secretfile"
)

// Scope is a part of the read-only API an API token may read.
type Scope string

// The token scopes: each names the API routes it opens (GET and HEAD
// only; a token never changes anything).
const (
	// ScopeRuns: /api/runs/... (runs, views, outputs, files), options and
	// time-slice status.
	ScopeRuns Scope = "runs"
	// ScopeTrends: /api/trends/...
	ScopeTrends Scope = "trends"
	// ScopeAlarms: /api/alarms and the alarm history.
	ScopeAlarms Scope = "alarms"
	// ScopeStatus: /api/status and /api/events.
	ScopeStatus Scope = "status"
)

// Scopes lists every token scope (the default of a new token).
var Scopes = []Scope{ScopeRuns, ScopeTrends, ScopeAlarms, ScopeStatus}

// ParseScopes parses a comma-separated list of scopes ("" is all).
func ParseScopes(s string) ([]Scope, error) {
	if strings.TrimSpace(s) == "" {
		return append([]Scope(nil), Scopes...), nil
	}
	var out []Scope
	for _, p := range strings.Split(s, ",") {
		sc := Scope(strings.TrimSpace(p))
		ok := false
		for _, x := range Scopes {
			ok = ok || x == sc
		}
		if !ok {
			return nil, fmt.Errorf("webapp: unknown token scope %q: expected runs, trends, alarms or status", sc)
		}
		out = append(out, sc)
	}
	return out, nil
}

// ErrUnknownToken is wrapped by errors about a token that does not exist.
var ErrUnknownToken = errors.New("unknown API token")

// Token is an API token as stored: only the SHA-256 of its secret is kept.
type Token struct {
	ID      string    `json:"id"`
	User    string    `json:"user"`
	Hash    string    `json:"hash"` // hex SHA-256 of the secret part
	Scopes  []Scope   `json:"scopes"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires,omitempty"` // zero: never
}

// Has reports whether the token has scope sc.
func (t Token) Has(sc Scope) bool {
	for _, x := range t.Scopes {
		if x == sc {
			return true
		}
	}
	return false
}

type tokensFile struct {
	Tokens []Token `json:"tokens"`
}

// Tokens is the API-token file of a data directory (.webapp/tokens.json,
// mode 0600), re-read when it changes, so tokens added or removed from
// the command line take effect at once in running servers. A token is
// presented as "Authorization: Bearer owt_<id>_<secret>"; it acts for its
// user, read-only, on the API routes of its scopes, and stops working when
// it is removed, expires, or its user is removed.
type Tokens struct {
	mu     sync.Mutex
	file   secretfile.File
	tokens map[string]Token
}

// TokensPath returns the API-token file of a data directory.
func TokensPath(dataDir string) string { return filepath.Join(dataDir, privateDirName, "tokens.json") }

// OpenTokens opens (without creating) the token file at path.
func OpenTokens(path string) (*Tokens, error) {
	t := &Tokens{file: secretfile.File{Path: path, What: "webapp: token file", Format: `{"tokens": [...]}`}, tokens: map[string]Token{}}
	if err := t.reload(); err != nil {
		return nil, err
	}
	return t, nil
}

// reload re-reads the file when it changed. Callers hold t.mu or own t.
func (t *Tokens) reload() error {
	var f tokensFile
	return t.file.Load(&f, func() error {
		m := make(map[string]Token, len(f.Tokens))
		for _, x := range f.Tokens {
			if x.ID == "" || !secretfile.ValidHash(x.Hash) {
				return fmt.Errorf("webapp: token file %s: invalid entry %q", t.file.Path, x.ID)
			}
			m[x.ID] = x
		}
		t.tokens = m
		return nil
	})
}

func (t *Tokens) save() error {
	f := tokensFile{Tokens: make([]Token, 0, len(t.tokens))}
	for _, x := range t.tokens {
		f.Tokens = append(f.Tokens, x)
	}
	sort.Slice(f.Tokens, func(i, j int) bool { return f.Tokens[i].ID < f.Tokens[j].ID })
	if err := t.file.Save(f); err != nil {
		return err
	}
	return t.reload()
}

const tokenPrefix = "owt_"

// Add creates a token for user with the given scopes, valid for ttl (0:
// until removed). It returns the token to give to the script (shown only
// now: only its hash is stored) and the stored record.
func (t *Tokens) Add(user string, scopes []Scope, ttl time.Duration) (string, Token, error) {
	if !ValidUserName(user) {
		return "", Token{}, fmt.Errorf("webapp: invalid user name %q", user)
	}
	if len(scopes) == 0 {
		return "", Token{}, errors.New("webapp: a token needs at least one scope")
	}
	idb := make([]byte, 6)
	if _, err := rand.Read(idb); err != nil {
		return "", Token{}, err
	}
	secret, err := secretfile.Random(24)
	if err != nil {
		return "", Token{}, err
	}
	id := hex.EncodeToString(idb)
	now := time.Now().UTC().Truncate(time.Second)
	tok := Token{ID: id, User: user, Hash: secretfile.Hash(secret), Scopes: scopes, Created: now}
	if ttl > 0 {
		tok.Expires = now.Add(ttl)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.reload(); err != nil {
		return "", Token{}, err
	}
	t.tokens[id] = tok
	if err := t.save(); err != nil {
		return "", Token{}, err
	}
	return tokenPrefix + id + "_" + secret, tok, nil
}

// Remove revokes a token.
func (t *Tokens) Remove(id string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.reload(); err != nil {
		return err
	}
	if _, ok := t.tokens[id]; !ok {
		return fmt.Errorf("webapp: token %q: %w", id, ErrUnknownToken)
	}
	delete(t.tokens, id)
	return t.save()
}

// List returns the tokens (without secrets), sorted by ID.
func (t *Tokens) List() ([]Token, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.reload(); err != nil {
		return nil, err
	}
	out := make([]Token, 0, len(t.tokens))
	for _, x := range t.tokens {
		out = append(out, x)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// verify returns the live token matching a presented value (constant-time
// comparison of the secret's hash).
func (t *Tokens) verify(presented string, now time.Time) (Token, bool) {
	rest, ok := strings.CutPrefix(presented, tokenPrefix)
	if !ok || len(presented) > 256 {
		return Token{}, false
	}
	id, secret, ok := strings.Cut(rest, "_")
	if !ok {
		return Token{}, false
	}
	t.mu.Lock()
	err := t.reload()
	tok, found := t.tokens[id]
	t.mu.Unlock()
	if err != nil || !found {
		return Token{}, false
	}
	if !secretfile.Matches(secret, tok.Hash) {
		return Token{}, false
	}
	if !tok.Expires.IsZero() && !now.Before(tok.Expires) {
		return Token{}, false
	}
	return tok, true
}

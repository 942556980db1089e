package webapp

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/overwatch-dqm/overwatch/internal/secretfile"
)

// BcryptCost is the bcrypt cost used for new password hashes.
const BcryptCost = 12

// bcryptCost is the cost actually used (tests lower it).
var bcryptCost = BcryptCost

// MinPasswordLength is the shortest password accepted by Users.Add and
// Users.SetPassword.
const MinPasswordLength = 10

// ErrUnknownUser is wrapped by errors about a user that does not exist.
var ErrUnknownUser = errors.New("unknown user")

// ErrUserExists is wrapped by Users.Add when the user already exists.
var ErrUserExists = errors.New("user already exists")

// User is one web-app user as stored in the users file.
type User struct {
	Name    string    `json:"name"`
	Hash    string    `json:"hash"` // bcrypt hash of the password
	Created time.Time `json:"created"`
	// Role is what the user may do; entries without one (written before
	// roles existed) are shifters.
	Role Role `json:"role,omitempty"`
}

type usersFile struct {
	Users []User `json:"users"`
}

// Users is the user database: a JSON file of bcrypt hashes, readable only
// by its owner (mode 0600). There are no default users: an absent file
// means nobody can log in until "overwatch users add" creates one. The file
// is re-read whenever it changes on disk, so users added by the command
// line take effect in a running server.
type Users struct {
	mu    sync.Mutex
	file  secretfile.File
	users map[string]User
}

// dummyHash is compared against when a user does not exist, so that a
// failed login costs the same time whether or not the name is known.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("overwatch-timing-equaliser"), BcryptCost)

// OpenUsers opens (without creating) the users file at path.
func OpenUsers(path string) (*Users, error) {
	u := &Users{file: secretfile.File{Path: path, What: "webapp: users file", Format: `{"users": [...]}`}, users: map[string]User{}}
	if err := u.reload(); err != nil {
		return nil, err
	}
	return u, nil
}

// UsersPath returns the users file of a data directory.
func UsersPath(dataDir string) string { return filepath.Join(dataDir, privateDirName, "users.json") }

// reload re-reads the file when its size or modification time changed.
// Callers hold u.mu or own u exclusively.
func (u *Users) reload() error {
	var f usersFile
	return u.file.Load(&f, func() error {
		m := make(map[string]User, len(f.Users))
		for _, x := range f.Users {
			if !ValidUserName(x.Name) || x.Hash == "" {
				return fmt.Errorf("webapp: users file %s: invalid entry %q", u.file.Path, x.Name)
			}
			if x.Role == "" {
				x.Role = legacyRole
			}
			if _, err := ParseRole(string(x.Role)); err != nil {
				return fmt.Errorf("webapp: users file %s: user %q: %w", u.file.Path, x.Name, err)
			}
			m[x.Name] = x
		}
		u.users = m
		return nil
	})
}

// save writes the users atomically with mode 0600.
func (u *Users) save() error {
	f := usersFile{Users: make([]User, 0, len(u.users))}
	for _, x := range u.users {
		f.Users = append(f.Users, x)
	}
	sort.Slice(f.Users, func(i, j int) bool { return f.Users[i].Name < f.Users[j].Name })
	if err := u.file.Save(f); err != nil {
		return err
	}
	return u.reload()
}

// ValidUserName reports whether name is acceptable as a user name: 1 to
// 64 letters, digits, '.', '_', '-' or '@'.
func ValidUserName(name string) bool {
	if len(name) == 0 || len(name) > 64 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' || c == '@') {
			return false
		}
	}
	return true
}

func checkPassword(pw string) error {
	if len(pw) < MinPasswordLength {
		return fmt.Errorf("webapp: password too short: expected at least %d characters", MinPasswordLength)
	}
	if len(pw) > 72 {
		return errors.New("webapp: password too long: bcrypt uses at most 72 bytes")
	}
	return nil
}

// hashPassword checks a new password and returns its bcrypt hash.
func hashPassword(password string) (string, error) {
	if err := checkPassword(password); err != nil {
		return "", err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcryptCost)
	if err != nil {
		return "", fmt.Errorf("webapp: hash password: %w", err)
	}
	return string(h), nil
}

// update changes the users under the lock, on the file's current content,
// and saves them when fn returns nil.
func (u *Users) update(fn func() error) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if err := u.reload(); err != nil {
		return err
	}
	if err := fn(); err != nil {
		return err
	}
	return u.save()
}

// change edits one existing user (update).
func (u *Users) change(name string, edit func(x *User)) error {
	return u.update(func() error {
		x, ok := u.users[name]
		if !ok {
			return fmt.Errorf("webapp: %q: %w", name, ErrUnknownUser)
		}
		edit(&x)
		u.users[name] = x
		return nil
	})
}

// Add creates a user with the given password and role.
func (u *Users) Add(name, password string, role Role) error {
	if !ValidUserName(name) {
		return fmt.Errorf("webapp: invalid user name %q: expected 1-64 of [A-Za-z0-9._@-]", name)
	}
	if _, err := ParseRole(string(role)); err != nil {
		return err
	}
	h, err := hashPassword(password)
	if err != nil {
		return err
	}
	return u.update(func() error {
		if _, ok := u.users[name]; ok {
			return fmt.Errorf("webapp: %q: %w", name, ErrUserExists)
		}
		u.users[name] = User{Name: name, Hash: h, Created: time.Now().UTC().Truncate(time.Second), Role: role}
		return nil
	})
}

// Remove deletes a user; the user's sessions stop working at once.
func (u *Users) Remove(name string) error {
	return u.update(func() error {
		if _, ok := u.users[name]; !ok {
			return fmt.Errorf("webapp: %q: %w", name, ErrUnknownUser)
		}
		delete(u.users, name)
		return nil
	})
}

// SetPassword replaces a user's password; the user's existing sessions
// stop working.
func (u *Users) SetPassword(name, password string) error {
	h, err := hashPassword(password)
	if err != nil {
		return err
	}
	return u.change(name, func(x *User) { x.Hash = h })
}

// SetRole changes a user's role; it takes effect on the user's next
// request.
func (u *Users) SetRole(name string, role Role) error {
	if _, err := ParseRole(string(role)); err != nil {
		return err
	}
	return u.change(name, func(x *User) { x.Role = role })
}

// Role returns a user's role; ok is false for an unknown user.
func (u *Users) Role(name string) (Role, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if err := u.reload(); err != nil {
		return "", false
	}
	x, ok := u.users[name]
	return x.Role, ok
}

// List returns the users sorted by name, without their password hashes.
func (u *Users) List() ([]User, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if err := u.reload(); err != nil {
		return nil, err
	}
	out := make([]User, 0, len(u.users))
	for _, x := range u.users {
		x.Hash = ""
		out = append(out, x)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Names returns the user names, sorted.
func (u *Users) Names() ([]string, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if err := u.reload(); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(u.users))
	for n := range u.users {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}

// Verify checks a password. It takes the same time whether or not the user
// exists (a bcrypt comparison happens in both cases).
func (u *Users) Verify(name, password string) bool {
	u.mu.Lock()
	err := u.reload()
	x, ok := u.users[name]
	u.mu.Unlock()
	hash := dummyHash
	if ok && err == nil {
		hash = []byte(x.Hash)
	}
	match := bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil
	return ok && err == nil && match
}

// fingerprint returns a short digest of the user's current hash, bound
// into sessions so that removing a user or changing a password ends their
// sessions. ok is false for an unknown user.
func (u *Users) fingerprint(name string) (string, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if err := u.reload(); err != nil {
		return "", false
	}
	x, ok := u.users[name]
	if !ok {
		return "", false
	}
	s := sha256.Sum256([]byte(x.Hash))
	return base64.RawURLEncoding.EncodeToString(s[:9]), true
}

// GeneratePassword returns a random password of 20 characters from an
// unambiguous alphabet (about 110 bits of entropy).
func GeneratePassword() (string, error) {
	const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	for i := range b {
		// 256 is not a multiple of 56: reject-free mapping would bias, so
		// draw again on values above the largest multiple.
		for int(b[i]) >= 256-256%len(alphabet) {
			var one [1]byte
			if _, err := rand.Read(one[:]); err != nil {
				return "", err
			}
			b[i] = one[0]
		}
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b), nil
}

// writeFileAtomic durably replaces path with data, mode 0600, in a
// directory of mode 0700.
func writeFileAtomic(path string, data []byte) error { return secretfile.Write(path, data) }

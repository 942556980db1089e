package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/overwatch-dqm/overwatch/webapp"
)

// usersStdin is where "users add" and "users passwd" read a password.
var usersStdin io.Reader = os.Stdin

func init() {
	register(&command{name: "users add", summary: "create a web-app user (password from stdin, or generated and printed)", run: runUsersAdd})
	register(&command{name: "users rm", summary: "remove a web-app user (ends the user's sessions)", run: runUsersRm})
	register(&command{name: "users passwd", summary: "change a web-app user's password (ends the user's sessions)", run: runUsersPasswd})
	register(&command{name: "users list", summary: "list the web-app users and their roles", run: runUsersList})
	register(&command{name: "users role", summary: "change a web-app user's role (viewer, shifter, expert, admin)", run: runUsersRole})
}

// usersArgs parses --data DIR [--generate] [--role ROLE] NAME; role is
// "" unless the command takes --role.
func usersArgs(e *env, name string, args []string, wantName bool) (*webapp.Users, string, bool, error) {
	u, user, gen, _, err := usersRoleArgs(e, name, args, wantName, "")
	return u, user, gen, err
}

func usersRoleArgs(e *env, name string, args []string, wantName bool, defRole webapp.Role) (*webapp.Users, string, bool, webapp.Role, error) {
	usage := "--data DIR NAME"
	if !wantName {
		usage = "--data DIR"
	}
	if defRole != "" {
		usage = "--data DIR [--role ROLE] NAME"
	}
	fs := newFlagSet(e, name, usage)
	dataDir := fs.String("data", "", "data `directory` of the web app (required)")
	generate := fs.Bool("generate", false, "generate a random password and print it instead of reading one from stdin")
	var roleFlag *string
	if defRole != "" {
		roleFlag = fs.String("role", string(defRole), "`role`: viewer (read), shifter (acknowledge, silence), expert (references, thresholds, bad channels, layouts), admin (users, tokens)")
	}
	if err := parseFlags(fs, args); err != nil {
		return nil, "", false, "", err
	}
	var role webapp.Role
	if roleFlag != nil {
		r, err := webapp.ParseRole(*roleFlag)
		if err != nil {
			return nil, "", false, "", fmt.Errorf("%w: %v", errUsage, err)
		}
		role = r
	}
	if *dataDir == "" {
		return nil, "", false, "", fmt.Errorf("%w: --data is required", errUsage)
	}
	user := ""
	if wantName {
		if fs.NArg() != 1 {
			return nil, "", false, "", fmt.Errorf("%w: expected one user NAME", errUsage)
		}
		user = fs.Arg(0)
		if !webapp.ValidUserName(user) {
			return nil, "", false, "", fmt.Errorf("%w: invalid user name %q: expected 1-64 of [A-Za-z0-9._@-]", errUsage, user)
		}
	} else if fs.NArg() != 0 {
		return nil, "", false, "", fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	u, err := webapp.OpenUsers(webapp.UsersPath(*dataDir))
	return u, user, *generate, role, err
}

// exists reports whether a user exists.
func exists(u *webapp.Users, name string) (bool, error) {
	names, err := u.Names()
	if err != nil {
		return false, err
	}
	for _, n := range names {
		if n == name {
			return true, nil
		}
	}
	return false, nil
}

// password reads the password from the first line of stdin, or generates
// one (and prints it) with --generate or when stdin is empty.
func password(e *env, generate bool) (string, error) {
	if !generate {
		line, err := bufio.NewReader(usersStdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read password from stdin: %w", err)
		}
		if pw := strings.TrimRight(line, "\r\n"); pw != "" {
			return pw, nil
		}
	}
	pw, err := webapp.GeneratePassword()
	if err != nil {
		return "", err
	}
	fmt.Fprintf(e.stdout, "generated password: %s\n", pw)
	return pw, nil
}

func runUsersAdd(_ context.Context, e *env, args []string) error {
	u, name, gen, role, err := usersRoleArgs(e, "users add", args, true, webapp.RoleViewer)
	if err != nil {
		return err
	}
	if ok, err := exists(u, name); err != nil || ok {
		if err == nil {
			err = fmt.Errorf("user %q already exists (use `users passwd` to change the password)", name)
		}
		return err
	}
	pw, err := password(e, gen)
	if err != nil {
		return err
	}
	if err := u.Add(name, pw, role); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "user %s added (%s)\n", name, role)
	return nil
}

func runUsersPasswd(_ context.Context, e *env, args []string) error {
	u, name, gen, err := usersArgs(e, "users passwd", args, true)
	if err != nil {
		return err
	}
	if ok, err := exists(u, name); err != nil || !ok {
		if err == nil {
			err = fmt.Errorf("no user %q", name)
		}
		return err
	}
	pw, err := password(e, gen)
	if err != nil {
		return err
	}
	if err := u.SetPassword(name, pw); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "password of %s changed\n", name)
	return nil
}

func runUsersRm(_ context.Context, e *env, args []string) error {
	u, name, _, err := usersArgs(e, "users rm", args, true)
	if err != nil {
		return err
	}
	if err := u.Remove(name); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "user %s removed\n", name)
	return nil
}

func runUsersList(_ context.Context, e *env, args []string) error {
	u, _, _, err := usersArgs(e, "users list", args, false)
	if err != nil {
		return err
	}
	users, err := u.List()
	if err != nil {
		return err
	}
	for _, x := range users {
		fmt.Fprintf(e.stdout, "%s\t%s\n", x.Name, x.Role)
	}
	return nil
}

func runUsersRole(_ context.Context, e *env, args []string) error {
	u, name, _, role, err := usersRoleArgs(e, "users role", args, true, webapp.RoleViewer)
	if err != nil {
		return err
	}
	if err := u.SetRole(name, role); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "user %s is now %s\n", name, role)
	return nil
}

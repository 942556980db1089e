package cli

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/overwatch-dqm/overwatch/webapp"
)

func init() {
	register(&command{name: "users token add", summary: "create a read-only API token for scripts (printed once; only its hash is kept)", run: runAPITokensAdd})
	register(&command{name: "users token rm", summary: "revoke an API token (at once, in running servers)", run: runAPITokensRm})
	register(&command{name: "users token ls", summary: "list the API tokens (without secrets)", run: runAPITokensLs})
}

// apiTokensArgs parses --data DIR and the command's own flags.
func apiTokensArgs(e *env, name, usage string, args []string, extra func(fs *flag.FlagSet)) (*webapp.Tokens, []string, string, error) {
	fs := newFlagSet(e, name, usage)
	dataDir := fs.String("data", "", "data `directory` of the web app (required)")
	if extra != nil {
		extra(fs)
	}
	if err := parseFlags(fs, args); err != nil {
		return nil, nil, "", err
	}
	if *dataDir == "" {
		return nil, nil, "", fmt.Errorf("%w: --data is required", errUsage)
	}
	t, err := webapp.OpenTokens(webapp.TokensPath(*dataDir))
	return t, fs.Args(), *dataDir, err
}

func runAPITokensAdd(_ context.Context, e *env, args []string) error {
	var user, scopes *string
	var ttl *time.Duration
	toks, rest, dataDir, err := apiTokensArgs(e, "users token add", "--data DIR --user NAME [--scope runs,trends,alarms,status] [--expires 2160h]", args, func(fs *flag.FlagSet) {
		user = fs.String("user", "", "the web-app `user` the token acts for, read-only (required)")
		scopes = fs.String("scope", "", "comma-separated `scopes` (runs, trends, alarms, status; default all)")
		ttl = fs.Duration("expires", 0, "lifetime of the token (`duration`, 0: until removed)")
	})
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, rest)
	}
	if !webapp.ValidUserName(*user) {
		return fmt.Errorf("%w: --user NAME is required (1-64 of [A-Za-z0-9._@-])", errUsage)
	}
	sc, err := webapp.ParseScopes(*scopes)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *ttl < 0 {
		return fmt.Errorf("%w: --expires must not be negative", errUsage)
	}
	users, err := webapp.OpenUsers(webapp.UsersPath(dataDir))
	if err != nil {
		return err
	}
	if _, ok := users.Role(*user); !ok {
		return fmt.Errorf("no user %q (create it with `overwatch users add`)", *user)
	}
	secret, tok, err := toks.Add(*user, sc, *ttl)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "token %s for %s %v (send it as \"Authorization: Bearer TOKEN\"; it is shown only now):\n%s\n", tok.ID, tok.User, tok.Scopes, secret)
	return nil
}

func runAPITokensRm(_ context.Context, e *env, args []string) error {
	toks, rest, _, err := apiTokensArgs(e, "users token rm", "--data DIR ID", args, nil)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return fmt.Errorf("%w: expected one token ID", errUsage)
	}
	if err := toks.Remove(rest[0]); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "token %s revoked\n", rest[0])
	return nil
}

func runAPITokensLs(_ context.Context, e *env, args []string) error {
	toks, rest, _, err := apiTokensArgs(e, "users token ls", "--data DIR", args, nil)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, rest)
	}
	list, err := toks.List()
	if err != nil {
		return err
	}
	for _, t := range list {
		exp := "never"
		if !t.Expires.IsZero() {
			exp = t.Expires.Format(time.RFC3339)
		}
		fmt.Fprintf(e.stdout, "%s\t%s\t%v\tcreated %s\texpires %s\n", t.ID, t.User, t.Scopes, t.Created.Format(time.RFC3339), exp)
	}
	return nil
}

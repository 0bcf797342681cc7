package main

import (
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/supportd/supportd/api"
	"github.com/supportd/supportd/store"
)

// mintToken is `supportd token`: prints a bearer token signed with JWT_SECRET. Usage
// and flag errors go to stderr.
func mintToken(cfg config, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	role := fs.String("role", "client", "client or superAdmin")
	sub := fs.String("sub", "", "caller id, 24 lower-case hex characters (default: a new one)")
	name := fs.String("name", "", "display name")
	ttl := fs.Duration("ttl", 24*time.Hour, "validity")
	// The flag's default stays empty so that help (-h, or any typo) never prints the
	// secret; JWT_SECRET is used when the flag is not given.
	secret := fs.String("secret", "", "signing secret (default: $JWT_SECRET)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *secret == "" {
		*secret = cfg.JWTSecret
	}
	if *secret == "" {
		return fmt.Errorf("token needs JWT_SECRET (or -secret)")
	}
	r, err := store.ParseRole(*role)
	if err != nil {
		return fmt.Errorf("-role must be client or superAdmin")
	}
	id := store.NewIDGen().New(time.Now())
	if *sub != "" {
		if id, err = store.ParseID(*sub); err != nil {
			return fmt.Errorf("-sub must be 24 lower-case hex characters")
		}
	}
	if *ttl <= 0 {
		return fmt.Errorf("-ttl must be positive")
	}
	auth, err := api.NewAuth(*secret, nil)
	if err != nil {
		return err
	}
	tok, err := auth.Mint(store.Caller{ID: id, Name: *name, Role: r}, *ttl)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, tok)
	return nil
}

package main

import (
	"context"
	"fmt"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = "dev"

type versionCommand struct{ stdio }

func (c *versionCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("version", c.stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "mmcontract %s (commit %s)\n", version, commit())
	return nil
}

// commit is the VCS revision Go stamped into the binary, or "unknown".
func commit() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	rev, dirty := "unknown", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
			if len(rev) > 12 {
				rev = rev[:12]
			}
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if dirty {
		rev += "-dirty"
	}
	return rev
}

package main

import (
	"context"
	"fmt"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3";
// without it, init takes the module version Go stamped into the binary, so
// `go install github.com/mmcontract/mmcontract/cmd/mmcontract@v1.2.3`
// reports v1.2.3. results.json, the console and --version all read it.
var version = "dev"

func init() { version = resolveVersion(version, debug.ReadBuildInfo) }

// resolveVersion keeps a version given by -ldflags, and otherwise uses the
// main module's version from the build info: a release tag for `go install
// …@vX`, a pseudo-version for a build from a VCS checkout. "(devel)" (a
// build without VCS information) is no version.
func resolveVersion(ldflags string, buildInfo func() (*debug.BuildInfo, bool)) string {
	if ldflags != "dev" && ldflags != "" {
		return ldflags
	}
	if info, ok := buildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return "dev"
}

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

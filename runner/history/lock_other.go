//go:build !unix

package history

import (
	"fmt"
	"os"
)

// lockFile only creates the lock file where flock is unavailable: the store
// still works, but two writers on one file are not detected there.
func lockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	return f, nil
}

func unlockFile(f *os.File) error {
	if f == nil {
		return nil
	}
	return f.Close()
}

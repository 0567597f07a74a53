package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// checkTempDir makes sure the temporary directory (TMPDIR, /tmp when unset)
// takes files, for the processes that run jobs: bulk exports are downloaded and
// sealed there. On a read-only root file system (the container image's
// recommended setting) nothing else is writable but the data volume, so a
// missing tmpfs would otherwise surface hours later as a failing export job,
// retried again and again; it stops the process at start instead, with the
// remedy (exit code 2: the environment is wrong, nothing was changed).
func checkTempDir() error {
	dir := os.TempDir()
	f, err := os.CreateTemp(dir, ".intercom-privacy-tmp-check-*")
	if err != nil {
		cause := err
		var pe *fs.PathError
		if errors.As(err, &pe) {
			cause = pe.Err
		}
		return usagef("the temporary directory %s (TMPDIR) cannot take files: %v; bulk exports are downloaded there: "+
			"on a read-only root file system mount a writable volume on it (a tmpfs, an emptyDir) or set TMPDIR to a "+
			"directory on the data volume", dir, cause)
	}
	name := f.Name()
	f.Close()
	if err := os.Remove(name); err != nil {
		return fmt.Errorf("remove the check file in the temporary directory %s: %w", dir, err)
	}
	return nil
}

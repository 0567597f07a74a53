package dsar

import (
	"context"
	"errors"
)

// buildPackage is replaced once access.go provides BuildPackage.
func (r *runner) buildPackage(ctx context.Context) error {
	return errors.New("dsar: access packages are not available yet")
}

func (r *runner) destroyRequestKeyAtEnd() bool { return true }

package audit_test

import (
	"testing"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/audit/audittest"
)

func memBackend(t testing.TB) audittest.Backend {
	m := audit.NewMemoryLog()
	return audittest.Backend{Reader: m, Update: m.Update, Mutator: audit.MemMutator{M: m}}
}

func TestTamperMemory(t *testing.T) { audittest.RunTamperSuite(t, memBackend) }

func TestAppendMemory(t *testing.T) { audittest.RunAppendSuite(t, memBackend) }

func TestWitnessMemory(t *testing.T) { audittest.RunWitnessSuite(t, memBackend) }

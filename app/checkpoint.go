package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/store"
)

// Defaults of the audit checkpoints written by a running serve or worker.
const (
	// DefaultCheckpointEvery is the most records between two checkpoints.
	DefaultCheckpointEvery = 256
	// DefaultCheckpointInterval is the longest a record stays unsigned while
	// a serve, worker or `dsar --wait` runs.
	DefaultCheckpointInterval = 10 * time.Second
	// witnessTimeout bounds one publish to the witness.
	witnessTimeout = 30 * time.Second
)

// openWitness sets up the publisher of the witness named by the settings,
// the environment or the configuration (in that order); none is fine.
func (a *App) openWitness(s Settings) error {
	spec := s.Witness
	if spec == "" {
		spec = s.Config.Audit.Witness
	}
	if spec == "" {
		return nil
	}
	w, err := audit.OpenWitness(spec, s.WitnessClient)
	if err != nil {
		return err
	}
	pub, id := a.Vault.AuditPublicKey()
	ns, err := audit.NewNoteSigner(a.Vault.AuditSigner(), pub)
	if err != nil {
		return err
	}
	a.Publisher = audit.NewPublisher(a.Store, w, ns, audit.Keyring{{KeyID: id, Key: pub}})
	return nil
}

// Checkpoint signs the audit chain's head (unless it is signed already) and
// then sends every checkpoint not yet witnessed to the witness. Every run
// calls it at its end.
//
// Witness failure policy: the witness is written after the checkpoint
// commits, so a failure never undoes or blocks the change it follows. It is
// returned as an error matching audit.ErrWitness (or
// audit.ErrWitnessInconsistent when the database no longer extends what was
// witnessed, which means it was rewritten) after the checkpoint is stored;
// the next Checkpoint sends every checkpoint still missing, and
// `audit verify --witness` reports the lag meanwhile. Commands log it and
// carry on; the long-running checkpointer logs it once per change.
func (a *App) Checkpoint(ctx context.Context) error {
	if err := a.Store.InTx(ctx, func(tx store.Tx) error {
		_, _, err := a.Chain.Checkpoint(ctx, tx)
		return err
	}); err != nil {
		return err
	}
	_, err := a.Publish(ctx)
	return err
}

// Publish sends the checkpoints not yet witnessed; it does nothing without
// a witness.
func (a *App) Publish(ctx context.Context) (audit.PublishResult, error) {
	if a.Publisher == nil {
		return audit.PublishResult{}, nil
	}
	pctx, cancel := context.WithTimeout(ctx, witnessTimeout)
	defer cancel()
	return a.Publisher.Publish(pctx)
}

// FinishRun ends a command's run: it writes the final checkpoint and
// witnesses it, logging a witness failure rather than failing the command
// (see Checkpoint); it returns an error only when the checkpoint itself could
// not be written.
func (a *App) FinishRun(ctx context.Context) error {
	err := a.Checkpoint(ctx)
	if err != nil && (errors.Is(err, audit.ErrWitness) || errors.Is(err, audit.ErrWitnessInconsistent)) {
		a.Logger.Error("audit: checkpoint written but not witnessed; the next run sends it", "witness", a.Publisher.Witness().String(), "err", err)
		return nil
	}
	return err
}

// StartCheckpointer runs the background checkpointer of a long-running
// process (serve, worker, `dsar --wait`) until ctx ends or the returned stop
// function is called; stop writes a last checkpoint and waits for it.
//
// Every CheckpointInterval it signs the head when records are unsigned and
// witnesses what is not witnessed yet; Chain signs besides every
// CheckpointEvery records and request steps sign at their end. So an
// unsigned tail stays under CheckpointEvery records and CheckpointInterval
// of age. Failures are logged once per change (a new failure, or recovery),
// never once per tick.
func (a *App) StartCheckpointer(ctx context.Context) (stop func()) {
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	cp := &checkpointer{a: a}
	go func() {
		defer close(done)
		t := time.NewTicker(a.checkpointInterval)
		defer t.Stop()
		for {
			select {
			case <-cctx.Done():
				fctx, fcancel := context.WithTimeout(context.WithoutCancel(cctx), witnessTimeout)
				cp.tick(fctx)
				fcancel()
				return
			case <-t.C:
				cp.tick(cctx)
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			<-done
		})
	}
}

type checkpointer struct {
	a     *App
	state string // the last failure logged, "" when healthy
	quiet bool   // a one-off (Close): log failures only, not recovery
}

// tick signs the head if it is not signed and publishes.
func (c *checkpointer) tick(ctx context.Context) {
	err := c.sign(ctx)
	if err == nil {
		_, err = c.a.Publish(ctx)
	}
	if ctx.Err() != nil && err != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return // shutting down: the final tick reports
	}
	state := ""
	if err != nil {
		state = err.Error()
	}
	if state == c.state {
		return
	}
	switch {
	case err == nil && c.quiet:
	case err == nil:
		c.a.Logger.Info("audit: checkpoints signed and witnessed again")
	case errors.Is(err, audit.ErrWitnessInconsistent):
		c.a.Logger.Error("audit: the database no longer extends the witnessed checkpoint; new checkpoints are not witnessed: run `audit verify --witness`", "err", err)
	case errors.Is(err, audit.ErrWitness):
		c.a.Logger.Warn("audit: checkpoints are signed but not witnessed; retrying", "witness", c.a.Publisher.Witness().String(), "err", err)
	default:
		c.a.Logger.Warn("audit: writing a checkpoint failed; retrying", "err", err)
	}
	c.state = state
}

// sign checkpoints the head when records follow the last checkpoint. It
// looks first without locking anything, so an idle process never opens a
// write transaction.
func (c *checkpointer) sign(ctx context.Context) error {
	head, _, err := c.a.Store.StoredHead(ctx)
	if err != nil || head == 0 {
		return err
	}
	for cp, err := range c.a.Store.CheckpointsAfter(ctx, head-1) {
		if err != nil {
			return err
		}
		if cp.Seq >= head {
			return nil // signed already
		}
	}
	if err := c.a.Store.InTx(ctx, func(tx store.Tx) error {
		_, _, err := c.a.Chain.Checkpoint(ctx, tx)
		return err
	}); err != nil {
		return fmt.Errorf("audit: checkpoint: %w", err)
	}
	return nil
}

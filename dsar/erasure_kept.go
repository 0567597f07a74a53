package dsar

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/riverqueue/river"
)

// Erasing kept objects once their hold or exception ends.
//
// An erasure that kept objects under a legal hold or an exception records them,
// in the transaction that completes it, in the request's _kept bookkeeping row.
// EraseReleased (the workers' hourly erasure_kept job) works through those
// rows: an object no active hold or exception keeps any longer (the hold was
// released, the exception's keep_until passed) is deleted in Intercom, tickets
// and conversations before the contacts kept for them, and recorded with an
// erasure.intercom_deleted audit record, once (a DELETE answering 404 or 410
// counts as done; a resumed sweep sends again only what it never recorded).
// When every object is erased the row is done, and the request record may be
// pruned at the end of its own retention.

// stepKept is the bookkeeping row of an erasure's kept objects.
const stepKept = "_kept"

// keptDetail is the Detail of the _kept row.
type keptDetail struct {
	Kept []KeptObject `json:"kept"`
	// Erased are the objects deleted since, as "<kind>:<id>".
	Erased []string `json:"erased"`
	// Released are shared objects whose hold ended: kept for the other
	// people in them, never deleted.
	Released []string `json:"released,omitempty"`
}

// settled reports whether key was erased or, shared, released.
func (d keptDetail) settled(key string) bool {
	return slices.Contains(d.Erased, key) || slices.Contains(d.Released, key)
}

// KeptSweep counts what one EraseReleased did.
type KeptSweep struct {
	Requests int `json:"requests"`
	Erased   int `json:"erased"`
	// Released counts shared objects whose hold ended (kept for the others).
	Released int `json:"released"`
	// Still is how many objects stay kept.
	Still int `json:"still_kept"`
}

// EraseReleased deletes in Intercom the objects erasures kept whose holds and
// exceptions have ended.
func (s *Service) EraseReleased(ctx context.Context) (KeptSweep, error) {
	var out KeptSweep
	if s.Intercom == nil {
		return out, ErrNoIntercom
	}
	rows, err := s.Store.StepsByName(ctx, stepKept, store.StepPending, 1000)
	if err != nil {
		return out, err
	}
	for _, row := range rows {
		var d keptDetail
		if err := json.Unmarshal(row.Detail, &d); err != nil {
			return out, fmt.Errorf("dsar: kept objects of %s unreadable: %w", row.RequestID, err)
		}
		req, err := s.Store.GetRequest(ctx, row.RequestID)
		if err != nil {
			return out, err
		}
		out.Requests++
		// Tickets and conversations first: a contact kept for one of them goes
		// only once that object is erased.
		order := slices.Clone(d.Kept)
		slices.SortStableFunc(order, func(a, b KeptObject) int {
			return boolInt(a.Object == store.ObjectContact) - boolInt(b.Object == store.ObjectContact)
		})
		for _, k := range order {
			key := k.Object + ":" + k.ID
			if d.settled(key) {
				continue
			}
			hs, err := s.Store.ActiveObjectHolds(ctx, s.now(), k.Object, k.ID)
			if err != nil {
				return out, err
			}
			if len(hs) > 0 || (k.For != "" && !d.settled(k.For)) {
				out.Still++
				continue
			}
			if !k.Shared {
				if err := s.deleteKept(ctx, k); err != nil {
					return out, err
				}
			}
			if d, err = s.recordKeptErased(ctx, req, k); err != nil {
				return out, err
			}
			if k.Shared {
				out.Released++
			} else {
				out.Erased++
			}
		}
	}
	return out, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// deleteKept sends the DELETE of a kept object; gone already counts as done.
func (s *Service) deleteKept(ctx context.Context, k KeptObject) error {
	var err error
	switch k.Object {
	case store.ObjectTicket:
		_, err = s.Intercom.DeleteTicket(ctx, k.ID)
	case store.ObjectConversation:
		retain := s.config().Erasure.RetainMetrics
		_, err = s.Intercom.DeleteConversation(ctx, k.ID, intercom.DeleteConversationOptions{RetainMetrics: &retain})
	default:
		_, err = s.Intercom.DeleteContact(ctx, k.ID)
	}
	if err != nil && !isGone(err) {
		return fmt.Errorf("dsar: delete kept %s %s: %w", k.Object, k.ID, err)
	}
	return nil
}

// recordKeptErased records one kept object erased, once, with its audit
// record, and ends the request's exception holds on it; the row is done when
// every kept object is erased.
func (s *Service) recordKeptErased(ctx context.Context, req store.Request, k KeptObject) (keptDetail, error) {
	key := k.Object + ":" + k.ID
	var d keptDetail
	err := s.Store.InTx(ctx, func(tx store.Tx) error {
		if _, _, err := tx.Head(ctx); err != nil {
			return err
		}
		st, found, err := stepOf(ctx, tx, req.ID, stepKept)
		if err != nil || !found {
			return err
		}
		if err := json.Unmarshal(st.Detail, &d); err != nil {
			return err
		}
		if d.settled(key) {
			return nil
		}
		if k.Shared {
			d.Released = append(d.Released, key)
		} else {
			d.Erased = append(d.Erased, key)
		}
		now := s.now()
		hs, err := tx.ObjectHoldsByRequest(ctx, req.ID)
		if err != nil {
			return err
		}
		for _, h := range hs {
			if h.ObjectType == k.Object && h.ObjectID == k.ID && h.ReleasedAt.IsZero() {
				if _, err := tx.ReleaseObjectHold(ctx, h.ID, now); err != nil {
					return err
				}
			}
		}
		b, err := json.Marshal(d)
		if err != nil {
			return err
		}
		st.Detail = b
		if len(d.Erased)+len(d.Released) >= len(d.Kept) {
			st.State, st.FinishedAt = store.StepDone, now
		}
		if err := tx.UpsertStep(ctx, st); err != nil {
			return err
		}
		rec := audit.Record{Actor: s.Actor, Action: audit.ActionErasureIntercomDeleted, RequestID: req.ID,
			SubjectRef: req.SubjectRef, Outcome: audit.OutcomeSuccess, ObjectIDs: []string{key},
			Counts: map[string]int64{k.Object + "s_deleted": 1},
			Reason: "object an erasure kept (" + k.Why + ", basis " + k.Basis + ") deleted in Intercom once no hold or exception kept it"}
		if k.Shared {
			rec.Action, rec.Outcome, rec.Counts = audit.ActionErasureKept, audit.OutcomeNoop, map[string]int64{k.Object + "s_shared_released": 1}
			rec.Reason = "hold or exception ended on an object shared with other people: kept for them, not deleted"
		}
		_, err = s.Chain.Append(ctx, tx, rec)
		return err
	})
	return d, err
}

// keptRow returns the _kept row a completing erasure writes (nil when it kept
// nothing but shared objects).
func keptRow(id string, kept []KeptObject, now time.Time) (*store.Step, error) {
	if len(kept) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(keptDetail{Kept: kept, Erased: []string{}})
	if err != nil {
		return nil, err
	}
	return &store.Step{RequestID: id, Name: stepKept, State: store.StepPending, Detail: b, StartedAt: now}, nil
}

// KeptJobKind is the River job kind of the periodic EraseReleased.
const KeptJobKind = "erasure_kept_objects"

// KeptArgs are the (empty) arguments of the kept-objects job.
type KeptArgs struct{}

// Kind implements river.JobArgs.
func (KeptArgs) Kind() string { return KeptJobKind }

// InsertOpts makes the job unique while one is waiting or running.
func (KeptArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: liveStates}}
}

type keptWorker struct {
	river.WorkerDefaults[KeptArgs]
	s *Service
}

// Work erases what is no longer kept.
func (w *keptWorker) Work(ctx context.Context, _ *river.Job[KeptArgs]) error {
	res, err := w.s.EraseReleased(ctx)
	if res.Erased > 0 {
		w.s.logger().Info("kept objects erased after their holds ended", "erased", res.Erased, "still_kept", res.Still)
	}
	return err
}

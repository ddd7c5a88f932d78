package lmc

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/lmskit/lmskit/license"
)

// modelLease is a lease as the model of the seat book holds it.
type modelLease struct {
	app     string
	n       int
	seq     int
	expires time.Time
}

// seatModel is a reference model of the LMC's seat book for one part, written from the issue's rules
// alone: seats out never exceed the count; a lease not renewed within its TTL is gone; when the count
// drops, the newest live leases beyond it are revoked and their holders learn it until the lease would
// have expired; nothing else ever takes or makes a lease.
type seatModel struct {
	ttl     time.Duration
	seq     int
	leases  map[string]*modelLease
	revoked map[string]time.Time // id -> when the revocation is forgotten
}

func (m *seatModel) live(now time.Time) (sum int) {
	for _, ls := range m.leases {
		if now.Before(ls.expires) {
			sum += ls.n
		}
	}
	return sum
}

// settle applies a count: expired leases go, and if the live seats exceed it, the newest go first.
func (m *seatModel) settle(now time.Time, limit int) {
	if m.live(now) <= limit {
		return
	}
	ids := slices.Collect(maps.Keys(m.leases))
	slices.SortFunc(ids, func(a, b string) int { return cmp.Compare(m.leases[b].seq, m.leases[a].seq) })
	for _, id := range ids {
		ls := m.leases[id]
		if !now.Before(ls.expires) {
			delete(m.leases, id)
		}
	}
	for _, id := range ids {
		ls, ok := m.leases[id]
		if !ok || m.live(now) <= limit {
			continue
		}
		delete(m.leases, id)
		m.revoked[id] = ls.expires
	}
}

// gone is the error a renew or release of a lease the model does not hold must match.
func (m *seatModel) gone(id string, now time.Time) error {
	if until, ok := m.revoked[id]; ok && now.Before(until) {
		return ErrLeaseRevoked
	}
	return ErrLeaseLost
}

// TestLMCModel drives one LMC through long random sequences of checkouts, renewals, releases, clock
// moves, installs and removals of permanent files, files copied into or deleted from the directory
// and reread, and fixed-term files that start and end on their own, and after every step compares
// it with the model: the licensed count (computed from the files
// the model holds), every call's outcome, the live leases one by one (none lost, none made up) and
// the book's invariant.
func TestLMCModel(t *testing.T) {
	for seed := range uint64(6) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { runModel(t, seed) })
	}
}

func runModel(t *testing.T, seed uint64) {
	const ttl = time.Minute
	clk := newFakeClock(t0)
	key := testKey(t, 1)
	lm := lmcOf(t, sv8500A)
	dir := t.TempDir()
	l := testLMC(t, dir, StaticSource(sv8500A), clk)
	tempEnd := t0.Add(3 * time.Minute)
	pendStart, pendEnd := t0.Add(2*time.Minute), t0.Add(6*time.Minute)
	files := map[string][]byte{
		"BASE":  issue(t, key, fileSpec{serial: "BASE", code: lm, lines: []license.Line{count("USER", 4)}}),
		"EXTRA": issue(t, key, fileSpec{serial: "EXTRA", code: lm, lines: []license.Line{count("USER", 3)}}),
		"TEMP": issue(t, key, fileSpec{serial: "TEMP", code: lm, issued: t0.Add(-time.Hour), term: license.Temporary, notAfter: tempEnd,
			lines: []license.Line{count("USER", 2)}}),
		"PEND": issue(t, key, fileSpec{serial: "PEND", code: lm, issued: pendStart, term: license.Temporary, notAfter: pendEnd,
			lines: []license.Line{count("USER", 1)}}),
	}
	in := map[string]bool{}
	for _, s := range []string{"BASE", "PEND"} {
		mustInstall(t, l, files[s])
		in[s] = true
	}
	licensed := func(now time.Time) int {
		n := 4
		if in["EXTRA"] {
			n += 3
		}
		if in["TEMP"] && now.Before(tempEnd) {
			n += 2
		}
		if in["PEND"] && !now.Before(pendStart) && now.Before(pendEnd) {
			n++
		}
		return n
	}
	m := &seatModel{ttl: ttl, leases: map[string]*modelLease{}, revoked: map[string]time.Time{}}
	var ids []string // every lease id ever handed out
	leases := map[string]*Lease{}
	rng := rand.New(rand.NewPCG(seed, 99))
	for step := range 500 {
		now := clk.Now()
		var what string
		var err, want error
		switch k := rng.IntN(100); {
		case k < 35:
			app, n := fmt.Sprintf("app%d", rng.IntN(3)), 1+rng.IntN(3)
			what = fmt.Sprintf("checkout %s %d", app, n)
			var ls *Lease
			ls, err = l.Checkout(bg, app, "USER", n)
			if limit := licensed(now); limit-m.live(now) < n {
				want = ErrNoSeats
			}
			if err == nil {
				m.seq++
				m.leases[ls.ID()] = &modelLease{app: app, n: n, seq: m.seq, expires: now.Add(ttl)}
				ids = append(ids, ls.ID())
				leases[ls.ID()] = ls
				if !ls.Expires().Equal(now.Add(ttl)) {
					t.Fatalf("step %d: lease expires %v, want %v", step, ls.Expires(), now.Add(ttl))
				}
			}
		case k < 55 && len(ids) > 0:
			id := ids[rng.IntN(len(ids))]
			what = "renew " + id[:6]
			err = leases[id].Renew(bg)
			if ls, ok := m.leases[id]; ok && now.Before(ls.expires) {
				ls.expires = now.Add(ttl)
			} else {
				delete(m.leases, id)
				want = m.gone(id, now)
			}
		case k < 70 && len(ids) > 0:
			id := ids[rng.IntN(len(ids))]
			what = "release " + id[:6]
			err = leases[id].Release(bg)
			if ls, ok := m.leases[id]; ok && now.Before(ls.expires) {
				delete(m.leases, id)
			} else {
				delete(m.leases, id)
				want = m.gone(id, now)
				delete(m.revoked, id)
			}
		case k < 82:
			d := time.Duration(rng.IntN(25)) * time.Second
			what = fmt.Sprint("advance ", d)
			clk.Advance(d)
		case k < 88:
			s := []string{"EXTRA", "TEMP"}[rng.IntN(2)]
			what = "install " + s
			_, err = l.Install(files[s])
			if s == "TEMP" && !now.Before(tempEnd) {
				want = license.ErrExpired
			} else {
				in[s] = true
			}
		case k < 91:
			s := []string{"EXTRA", "TEMP"}[rng.IntN(2)]
			what = "remove " + s
			err = l.Remove(s)
			if !in[s] {
				want = ErrNotInstalled
			}
			delete(in, s)
		case k < 95:
			// The administrator copies a file into the directory, or deletes one there, and makes
			// the LMC read it again (lmreread).
			s := []string{"EXTRA", "TEMP"}[rng.IntN(2)]
			path := filepath.Join(dir, licenseDir, s+licenseExt)
			if in[s] {
				what = "delete and reread " + s
				if err := os.Remove(path); err != nil {
					t.Fatal(err)
				}
				delete(in, s)
			} else {
				what = "copy and reread " + s
				if err := os.WriteFile(path, files[s], 0o600); err != nil {
					t.Fatal(err)
				}
				in[s] = true
			}
			_, err = l.Reread(bg)
		default:
			what = "usage"
		}
		if !errors.Is(err, want) || (err == nil) != (want == nil) {
			t.Fatalf("step %d %s: err %v, want %v", step, what, err, want)
		}

		// The LMC at the current time against the model.
		now = clk.Now()
		limit := licensed(now)
		if n, _ := l.Count(bg, "USER"); n != limit {
			t.Fatalf("step %d %s: Count %d, model %d", step, what, n, limit)
		}
		m.settle(now, limit)
		for id, until := range m.revoked {
			if !now.Before(until) {
				delete(m.revoked, id)
			}
		}
		if err := l.seats.checkInvariant(); err != nil {
			t.Fatalf("step %d %s: %v", step, what, err)
		}
		wantLeases := map[string]modelLease{}
		for id, ls := range m.leases {
			if now.Before(ls.expires) {
				wantLeases[id] = modelLease{app: ls.app, n: ls.n, expires: ls.expires}
			}
		}
		got := map[string]modelLease{}
		l.seats.mu.Lock()
		for id, rec := range l.seats.byID {
			if now.Before(rec.expires) {
				got[id] = modelLease{app: rec.app, n: rec.n, expires: rec.expires}
			}
		}
		l.seats.mu.Unlock()
		if diff := gocmp.Diff(wantLeases, got, gocmp.AllowUnexported(modelLease{})); diff != "" {
			t.Fatalf("step %d %s: live leases (-model +LMC):\n%s", step, what, diff)
		}
		if what == "usage" { // not every step: Usage sweeps, and expired leases left in the book must behave too
			u, _ := l.Usage(bg, "USER")
			if u.Count != limit || u.InUse != m.live(now) {
				t.Fatalf("step %d %s: Usage %d of %d, model %d of %d", step, what, u.InUse, u.Count, m.live(now), limit)
			}
		}
	}
	if clk.Now().Before(pendEnd) {
		t.Logf("note: the sequence ended at %v, before every fixed-term file ended", clk.Now().Sub(t0))
	}
}

// TestLMCFixedTermHasWithoutRefresh: Has, Count and Version stop counting a fixed-term file at the
// moment it ends, with no Refresh, Run or checkout in between.
func TestLMCFixedTermHasWithoutRefresh(t *testing.T) {
	clk := newFakeClock(t0)
	key := testKey(t, 1)
	l := testLMC(t, t.TempDir(), StaticSource(sv8500A), clk)
	end := t0.Add(time.Hour)
	mustInstall(t, l, issue(t, key, fileSpec{serial: "TEMP", code: lmcOf(t, sv8500A), issued: t0.Add(-time.Hour), term: license.Temporary,
		notAfter: end, lines: []license.Line{flag("CTI-LINK"), count("USER", 2), version("390908", 10)}}))
	check := func(when string, has bool, n, v int) {
		t.Helper()
		gotHas, _ := l.Has(bg, "CTI-LINK")
		gotN, _ := l.Count(bg, "USER")
		gotV, _ := l.Version(bg, "390908")
		if gotHas != has || gotN != n || gotV != v {
			t.Fatalf("%s: Has %v Count %d Version %d; want %v %d %d", when, gotHas, gotN, gotV, has, n, v)
		}
	}
	clk.Advance(time.Hour - time.Nanosecond)
	check("a nanosecond before the end", true, 2, 10)
	clk.Advance(time.Nanosecond)
	check("at the end", false, 0, 0)
}

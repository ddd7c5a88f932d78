package entitlement_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/storetest"
	"github.com/lmskit/lmskit/entitlement/systems"
	"github.com/lmskit/lmskit/keycode"
)

var sv8100Parts = []string{"BE107573", "BE107576", "BE107582", "BE107585"}

// randomOps drives one random operation for actor a; it returns the operation's name and error.
func randomOp(r *rand.Rand, f *storetest.Fixture, a entitlement.Actor, partner string, seq *int) (string, error) {
	l := f.L
	pickFrom := func() []entitlement.Pick {
		bin, err := l.Bin(ctx, a)
		if err != nil || len(bin) == 0 {
			return []entitlement.Pick{{Line: uint64(r.IntN(50) + 1), Qty: 1}}
		}
		var p []entitlement.Pick
		for range r.IntN(3) + 1 {
			s := bin[r.IntN(len(bin))]
			q := r.Int64N(s.InBin+2) - map[bool]int64{true: 1, false: 0}[r.IntN(10) == 0] // sometimes too many or negative
			p = append(p, entitlement.Pick{Line: s.ID, Qty: q})
		}
		return p
	}
	location := func() (entitlement.LocationView, bool) {
		locs, err := l.SearchLocations(ctx, a, "", 0)
		if err != nil || len(locs) == 0 {
			return entitlement.LocationView{}, false
		}
		v, err := l.Location(ctx, a, locs[r.IntN(len(locs))].ID)
		return v, err == nil
	}
	*seq++
	n := r.IntN(130)
	if n >= 100 {
		return guideOp(r, f, a, partner, *seq, n-100, location)
	}
	switch {
	case n < 10:
		var lines []entitlement.OrderLine
		for range r.IntN(3) + 1 {
			lines = append(lines, entitlement.OrderLine{Part: sv8100Parts[r.IntN(4)], Qty: r.Int64N(20) + 1})
		}
		po := fmt.Sprintf("PO-%s-%d", a.User, *seq)
		if r.IntN(10) == 0 {
			po = "PO-dup" // a repeated order must be refused
		}
		_, err := l.Ship(ctx, f.Admin, entitlement.Order{Partner: partner, PO: po, SO: "SO", Lines: lines})
		return "ship", err
	case n < 15:
		cs, err := l.Customers(ctx, a, "")
		if err != nil || len(cs) == 0 {
			_, err = l.CreateCustomer(ctx, a, entitlement.Customer{Name: "c " + a.User})
			return "create customer", err
		}
		hw := fmt.Sprintf("19%010d", r.IntN(40)) // collisions are likely and must be refused
		_, err = l.CreateLocation(ctx, a, entitlement.Location{Customer: cs[0].ID, Name: "loc", System: "SV8100", HWKC: hw})
		return "create location", err
	case n < 45:
		v, okLoc := location()
		if !okLoc {
			return "attach (no location)", nil
		}
		picks := pickFrom()
		got, err := l.Attach(ctx, a, v.ID, picks)
		if err != nil {
			return "attach", err
		}
		return "attach", checkAttached(l, a, v.ID, picks, got)
	case n < 60:
		v, okLoc := location()
		if !okLoc || len(v.Attached) == 0 {
			return "detach (nothing)", nil
		}
		_, err := 0, l.Detach(ctx, a, v.ID, []string{v.Attached[r.IntN(len(v.Attached))].SKC})
		return "detach", err
	case n < 72:
		v, okLoc := location()
		if !okLoc {
			return "activate (no location)", nil
		}
		act := entitlement.Activation{AcceptAgreement: r.IntN(8) != 0}
		if len(v.Attached) > 0 && r.IntN(2) == 0 {
			act.SKCs = []string{v.Attached[0].SKC}
		}
		_, err := l.Activate(ctx, a, v.ID, act)
		return "activate", err
	case n < 82:
		_, err := l.Reship(ctx, a, entitlement.ReshipRequest{DealerUser: "dealer@y", PO: fmt.Sprintf("R-%s-%d", a.User, *seq), SO: "RS", Picks: pickFrom()})
		return "reship", err
	case n < 90:
		_, err := l.ReturnLines(ctx, a, pickFrom(), "random")
		return "return", err
	case n < 95:
		v, okLoc := location()
		if !okLoc {
			return "demo (no location)", nil
		}
		_, err := l.GenerateDemo(ctx, a, v.ID)
		return "demo", err
	default:
		v, okLoc := location()
		if !okLoc {
			return "regenerate (no location)", nil
		}
		_, err := l.Regenerate(ctx, a, v.ID)
		return "regenerate", err
	}
}

// checkAttached checks what Attach returned: exactly one line per pick with a positive quantity,
// in pick order (picks of one bin line summed), with that line's part and quantity, on the location; each is found by LookupSKC
// with the same quantity, attached or (when another goroutine got there first) activated, or gone
// only because another goroutine detached it.
func checkAttached(l *entitlement.Ledger, a entitlement.Actor, loc string, picks []entitlement.Pick, got []entitlement.Line) error {
	var want []entitlement.Pick // picks of one line merge into one attached line, in first-pick order
	at := map[uint64]int{}
	for _, p := range picks {
		if p.Qty <= 0 {
			continue
		}
		if i, ok := at[p.Line]; ok {
			want[i].Qty += p.Qty
			continue
		}
		at[p.Line] = len(want)
		want = append(want, p)
	}
	if len(got) != len(want) {
		return fmt.Errorf("attach: %d picks with a quantity, %d lines returned: %+v", len(want), len(got), got)
	}
	for i, ln := range got {
		if ln.Source != want[i].Line || ln.Qty != want[i].Qty || ln.Location != loc || ln.State != entitlement.StateAttached {
			return fmt.Errorf("attach: line %d is %+v for pick %+v", i, ln, want[i])
		}
		found, at, err := l.LookupSKC(ctx, a, ln.SKC)
		if errors.Is(err, entitlement.ErrNotFound) {
			continue // detached meanwhile by another goroutine
		}
		if err != nil {
			return fmt.Errorf("attach: lookup of returned line %s: %w", ln.SKC, err)
		}
		if at.ID != loc || found.Qty != ln.Qty || found.Source != ln.Source || found.Part != ln.Part ||
			found.State != entitlement.StateAttached && found.State != entitlement.StateActivated {
			return fmt.Errorf("attach: returned %+v, stored %+v on %s", ln, found, at.ID)
		}
	}
	return nil
}

// expected reports whether err is a refusal a random sequence may legitimately meet.
func expected(err error) bool {
	for _, s := range []error{entitlement.ErrNotAllowed, entitlement.ErrNotFound, entitlement.ErrExists, entitlement.ErrInvalid,
		entitlement.ErrQuantity, entitlement.ErrAgreement, entitlement.ErrNoDemo, entitlement.ErrState, entitlement.ErrRule} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

func actorsOf(f *storetest.Fixture) []struct {
	a       entitlement.Actor
	partner string
} {
	return []struct {
		a       entitlement.Actor
		partner string
	}{{f.Dist, f.DistP}, {f.Dealer, f.DealerP}, {f.Other, f.OtherP}, {entitlement.Actor{User: "ed@distx", As: "dealer@y"}, f.DealerP},
		{f.Dist, f.DistP}, {f.Dealer, f.DealerP}} // two goroutines each on the distributor's and the dealer's bin
}

// TestRandomConcurrentConservation runs random operation sequences from six goroutines (two on the
// distributor's bin, three on the dealer's, one of them impersonating, one on another partner) on
// every store and checks conservation after every step.
func TestRandomConcurrentConservation(t *testing.T) {
	stores := map[string]func(t *testing.T) entitlement.Store{
		"mem": func(t *testing.T) entitlement.Store { return entitlement.NewMemStore() },
		// Durability is not under test here: NoSync keeps it fast. TestCrash tests fsync.
		"bbolt": func(t *testing.T) entitlement.Store {
			s, err := entitlement.OpenFile(filepath.Join(t.TempDir(), "l.db"), &entitlement.FileOptions{UnsafeNoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
	}
	stores["bbolt-group-commit"] = func(t *testing.T) entitlement.Store {
		s, err := entitlement.OpenFile(filepath.Join(t.TempDir(), "l.db"), &entitlement.FileOptions{UnsafeNoSync: true, GroupCommit: 200 * time.Microsecond})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	// Every update run twice, the first run rolled back (the Store contract allows retries).
	stores["mem-retrying"] = func(t *testing.T) entitlement.Store { return storetest.Retrying(entitlement.NewMemStore()) }
	steps := 100
	if testing.Short() || raceEnabled {
		steps = 60
	}
	all := map[string]int{} // successful operations over every store
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			defer s.Close()
			f := guideFixture(t, s, 11)
			var wg sync.WaitGroup
			counts := make([]map[string]int, len(actorsOf(f)))
			for i, ac := range actorsOf(f) {
				wg.Add(1)
				counts[i] = map[string]int{}
				go func() {
					defer wg.Done()
					r := rand.New(rand.NewPCG(uint64(i), 99))
					seq := 0
					for range steps {
						name, err := randomOp(r, f, ac.a, ac.partner, &seq)
						if err != nil && !expected(err) {
							t.Errorf("%s by %s: unexpected error %v", name, ac.a, err)
							return
						}
						if err == nil {
							counts[i][name]++
						}
						if err := entitlement.CheckConservation(ctx, s); err != nil {
							t.Errorf("after %s by %s: %v", name, ac.a, err)
							return
						}
					}
				}()
			}
			// The administrator revokes and grants the shipping allowance meanwhile: the impersonating
			// goroutine and the reshipments meet refusals, never a half-done operation.
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range steps / 4 {
					if err := f.L.SetAllowance(ctx, f.Admin, f.DistP, f.DealerP, i%2 == 1); err != nil {
						t.Error(err)
						return
					}
					if err := entitlement.CheckConservation(ctx, s); err != nil {
						t.Error(err)
						return
					}
				}
				if err := f.L.SetAllowance(ctx, f.Admin, f.DistP, f.DealerP, true); err != nil {
					t.Error(err)
				}
			}()
			// Meanwhile incremental checks, each from the checkpoint the one before returned.
			stop := make(chan struct{})
			checked := make(chan entitlement.Checkpoint)
			go func() {
				var cp entitlement.Checkpoint
				defer func() { checked <- cp }()
				for {
					next, err := f.L.CheckConservationFrom(ctx, cp)
					if err != nil {
						t.Errorf("incremental check from %d: %v", cp.Seq, err)
						return
					}
					cp = next
					select {
					case <-stop:
						return
					default:
					}
				}
			}()
			wg.Wait()
			close(stop)
			cp := <-checked
			if _, err := f.L.VerifyAudit(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := f.L.CheckConservationFrom(ctx, cp); err != nil {
				t.Fatalf("incremental check from %d at the end: %v", cp.Seq, err)
			}
			if _, err := f.L.CheckConservationFrom(ctx, entitlement.Checkpoint{}); err != nil {
				t.Fatalf("full check at the end: %v", err)
			}
			total := map[string]int{}
			for _, c := range counts {
				for k, v := range c {
					total[k] += v
					all[k] += v
				}
			}
			t.Logf("successful operations: %v", total)
		})
	}
	// The sequences must exercise every kind of change (over all stores: one store's short run
	// may meet only refusals of some kind, for example reshipments while the allowance is off).
	for _, op := range []string{"ship", "attach", "detach", "activate", "reship", "return", "create location"} {
		if all[op] == 0 {
			t.Errorf("no successful %s in any random run: %v", op, all)
		}
	}

}

// TestRandomRefusalsChangeNothing runs a random single-goroutine sequence and compares a full
// snapshot before and after every refused operation.
func TestRandomRefusalsChangeNothing(t *testing.T) {
	s := entitlement.NewMemStore()
	f := guideFixture(t, s, 5)
	r := rand.New(rand.NewPCG(5, 5))
	seq, refused := 0, 0
	done, refusedOps := map[string]int{}, map[string]int{}
	acts := actorsOf(f)
	for range 600 {
		ac := acts[r.IntN(len(acts))]
		before, err := f.L.Snapshot(ctx)
		ok(t, err)
		name, err := randomOp(r, f, ac.a, ac.partner, &seq)
		if err != nil {
			if !expected(err) {
				t.Fatalf("%s: %v", name, err)
			}
			refused++
			refusedOps[name]++
			after, err2 := f.L.Snapshot(ctx)
			ok(t, err2)
			if !reflect.DeepEqual(before, after) {
				t.Fatalf("refused %s (%v) changed the ledger", name, err)
			}
		} else {
			done[name]++
		}
		conserved(t, f.L)
	}
	if refused < 10 {
		t.Fatalf("only %d refusals: the sequence does not exercise them", refused)
	}
	// The (deterministic) sequence reaches every per-system operation, successfully and refused.
	for _, op := range []string{"replace hardware", "migrate", "import DECT", "set LAN1 IP", "change computer name"} {
		if done[op] == 0 || refusedOps[op] == 0 {
			t.Errorf("%s: %d successful, %d refused; want both", op, done[op], refusedOps[op])
		}
	}
}

// guideFixture is the storetest fixture with the guide's per-system rules and a key code deriver,
// so the random sequences reach the per-system operations too.
func guideFixture(t *testing.T, s entitlement.Store, seed uint64) *storetest.Fixture {
	f := storetest.NewFixture(t, s, seed)
	d, err := keycode.NewDeriver([]byte("random test deriver secret 32 b!"))
	if err != nil {
		t.Fatal(err)
	}
	f.L = entitlement.New(s, entitlement.Config{Clock: storetest.FixedClock{T: time.Date(2019, 7, 17, 10, 0, 0, 0, time.UTC)},
		Issuer: storetest.Issuer{}, Rand: rand.NewChaCha8([32]byte{byte(seed), 1}), Rules: systems.GuideRules(), Deriver: d})
	return f
}

// guideOp drives one random per-system operation: locations of SV9100 CP10, IP DECT and SV9500
// Standard Server and dongle-less iS3000, their parts, hardware replacement, migration, DECT
// import, the LAN1 IP, the Full Computer Name, and (always refused here: the default catalog has no
// external product parts) an external file.
func guideOp(r *rand.Rand, f *storetest.Fixture, a entitlement.Actor, partner string, seq, n int,
	location func() (entitlement.LocationView, bool)) (string, error) {
	l := f.L
	locOf := func(system string) (entitlement.LocationView, bool) {
		locs, err := l.SearchLocations(ctx, a, "", 0)
		if err != nil {
			return entitlement.LocationView{}, false
		}
		var ids []string
		for _, loc := range locs {
			if loc.System == system {
				ids = append(ids, loc.ID)
			}
		}
		if len(ids) == 0 {
			return entitlement.LocationView{}, false
		}
		v, err := l.Location(ctx, a, ids[r.IntN(len(ids))])
		return v, err == nil
	}
	// attachParts attaches bin lines of the parts (one each); refusals the sequence may meet pass.
	// attachParts attaches bin lines of the parts (one each) and reports whether it did; refusals
	// the sequence may meet pass.
	attachParts := func(loc string, parts ...string) (bool, error) {
		bin, err := l.Bin(ctx, a)
		if err != nil {
			return false, err
		}
		var picks []entitlement.Pick
		for _, s := range bin {
			if slices.Contains(parts, s.Part) && len(picks) < len(parts) {
				picks = append(picks, entitlement.Pick{Line: s.ID, Qty: 1})
			}
		}
		if len(picks) == 0 {
			return false, nil
		}
		if _, err := l.Attach(ctx, a, loc, picks); err != nil {
			if expected(err) {
				return false, nil
			}
			return false, err
		}
		return true, nil
	}
	switch {
	case n < 5:
		cs, err := l.Customers(ctx, a, "")
		if err != nil || len(cs) == 0 {
			return "create customer (none)", err
		}
		loc := entitlement.Location{Customer: cs[0].ID, Name: "guide loc"}
		switch r.IntN(4) {
		case 3:
			loc.System, loc.Attrs = "iS3000", []entitlement.Attr{{Name: entitlement.AttrComputerName, Value: fmt.Sprintf("PBX%d.example.local", r.IntN(5))}}
		case 0:
			loc.System, loc.HWKC = "SV9100 CP10", fmt.Sprintf("34%010d", r.IntN(30))
		case 1:
			loc.System, loc.HWKC = "IP DECT", fmt.Sprintf("1FFFFF%02X", r.IntN(30))
		default:
			loc.System = "SV9500 Standard Server"
		}
		_, err = l.CreateLocation(ctx, a, loc)
		return "create location", err
	case n < 10:
		lines := []entitlement.OrderLine{{Part: "BE114063", Qty: r.Int64N(9) + 1}, {Part: "BE114074", Qty: 1},
			{Part: "EU917062", Qty: r.Int64N(3) + 1}, {Part: "EU917024", Qty: 1}, {Part: "BE114234", Qty: 1}, {Part: "BE114263", Qty: 5}}
		i := r.IntN(3) * 2
		_, err := l.Ship(ctx, f.Admin, entitlement.Order{Partner: partner, PO: fmt.Sprintf("G-%s-%d", a.User, seq), SO: "GSO",
			Lines: lines[i : i+2]})
		return "ship", err
	case n < 14:
		v, okLoc := locOf("SV9100 CP10")
		if !okLoc {
			return "migrate (no location)", nil
		}
		// One change per call (so a refusal can be checked to change nothing): attach, activate,
		// then migrate.
		if r.IntN(2) == 0 {
			if did, err := attachParts(v.ID, "BE114063", "BE114074"); did || err != nil {
				return "attach", err
			}
		}
		if len(v.Attached) > 0 && r.IntN(4) != 0 {
			_, err := l.Activate(ctx, a, v.ID, entitlement.Activation{AcceptAgreement: true})
			return "activate", err
		}
		code := fmt.Sprintf("44%010d", r.IntN(30))
		if r.IntN(3) == 0 {
			code = v.HWKC // not a CP20 code: refused
		}
		_, err := systems.MigrateSV9100(ctx, l, a, v.ID, code)
		return "migrate", err
	case n < 18:
		v, okLoc := location()
		if !okLoc {
			return "replace hardware (no location)", nil
		}
		code := map[string]string{"SV8100": fmt.Sprintf("19%010d", 100+r.IntN(40)), "SV9100 CP10": fmt.Sprintf("34%010d", 100+r.IntN(30)),
			"SV9100 CP20": fmt.Sprintf("44%010d", 100+r.IntN(30)), "IP DECT": fmt.Sprintf("1EEEEE%02X", r.IntN(30))}[v.System]
		actor := f.Admin
		if r.IntN(5) == 0 {
			actor = a // refused: administrators only
		}
		_, err := systems.ReplaceHardware(ctx, l, actor, v.ID, code)
		return "replace hardware", err
	case n < 21:
		v, okLoc := locOf("IP DECT")
		if !okLoc || r.IntN(2) == 0 { // a fresh location, where the upload may be the first action
			cs, err := l.Customers(ctx, a, "")
			if err != nil || len(cs) == 0 {
				return "import DECT (no location)", err
			}
			loc, err := l.CreateLocation(ctx, a, entitlement.Location{Customer: cs[0].ID, Name: "dect", System: "IP DECT",
				HWKC: fmt.Sprintf("1DDDDD%02X", r.IntN(60))})
			if err != nil {
				return "create location", err
			}
			v.Location = loc
		}
		_, err := systems.ImportDECTLicenses(ctx, l, a, v.ID, strings.NewReader(dectUpload))
		return "import DECT", err
	case n < 27:
		v, okLoc := locOf("iS3000")
		if !okLoc {
			return "change computer name (no location)", nil
		}
		if r.IntN(4) == 0 { // an external file for a location that is no external product: refused
			_, err := systems.AttachExternalFile(ctx, l, f.Admin, v.ID, "x.lic", []byte("x"))
			return "attach external file", err
		}
		name := fmt.Sprintf("pbx-%d.example.local", seq)
		if r.IntN(3) == 0 {
			name = "-not a name-" // refused
		}
		_, err := systems.ChangeComputerName(ctx, l, a, v.ID, name)
		return "change computer name", err
	default:
		v, okLoc := locOf("SV9500 Standard Server")
		if !okLoc {
			return "set LAN1 IP (no location)", nil
		}
		if _, hasIP := v.Attr(entitlement.AttrIP); !hasIP && len(v.Attached) == 0 {
			if did, err := attachParts(v.ID, "BE114234"); did || err != nil {
				return "attach", err
			}
		}
		_, err := systems.SetLAN1IP(ctx, l, a, v.ID, netip.AddrFrom4([4]byte{10, 0, byte(r.IntN(4)), byte(seq)}))
		return "set LAN1 IP", err
	}
}

// dectUpload is the guide's "Verify License File details" table (the systems package's tests hold
// the same table).
const dectUpload = "1\tIPDECT 1 AP Cap Conv Lic- EU917017\t50\n2\tIPDECT Messaging 1 AP Lic- EU917027\t50\n" +
	"3\tIPDECT Location 1 AP Lic- EU917028\t50\n4\tIPDECT Redundancy Lic- EU917005\t1\n5\tIPDECT Branch Survivab. Lic- EU917006\t1\n" +
	"6\tIPDECT Cruise Lic- EU917024\t1\n7\tIPDECT Large Configuration Lic- EU917023\t1\n8\tIPDECT I755x Lic- EU917012\t1\n" +
	"9\tIPDECT Reflection Cancelling Lic- EU917022\t1\n10\tIPDECT Upgrade Allowance 1 AP Lic- EU917029\t50\n"

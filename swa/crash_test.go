package swa_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/swa"
)

// The crash test is the ledger's crash harness (entitlement's TestCrash) with SWA operations in the
// mix: a child process streams unit shipments, activations, assignments, pushes, cancellations and
// renewals on the durable store (fsync on) and acknowledges each after it returns; the parent
// kills it with SIGKILL at a random point, reopens the file and checks every acknowledged
// operation, the audit chain and both conservation checks.

const crashEnv = "LMSKIT_SWA_CRASH_CHILD"

// swaAck is what the child acknowledges after an operation returned.
type swaAck struct {
	Kind, Round string
	SO, Loc     string
	Qty         int64
	ID          uint64
	Agreement   string
}

func TestCrashChild(t *testing.T) {
	spec := os.Getenv(crashEnv)
	if spec == "" {
		t.Skip("child process of TestCrash only")
	}
	path, round, _ := strings.Cut(spec, "|")
	fail := func(err error) {
		fmt.Println("ERR", err)
		os.Exit(2)
	}
	s, err := entitlement.OpenFile(path, nil)
	if err != nil {
		fail(err)
	}
	seed, _ := strconv.Atoi(round)
	f := newFx(t, fxOpt{store: s, seed: uint64(seed) + 100, start: date(2014, 12, 15).Add(10 * time.Hour)})
	w := bufio.NewWriter(os.Stdout)
	ack := func(a swaAck) {
		a.Round = round
		b, err := json.Marshal(a)
		if err != nil {
			fail(err)
		}
		fmt.Fprintf(w, "ACK %s\n", b)
		w.Flush()
	}
	c, err := f.L.CreateCustomer(ctx, f.Dist, entitlement.Customer{Name: "crash " + round})
	if err != nil {
		fail(err)
	}
	for n := 0; ; n++ {
		so := fmt.Sprintf("SO-%s-%d", round, n)
		if _, err := f.L.Ship(ctx, f.Admin, entitlement.Order{Partner: f.DistP, PO: "PO", SO: so, Expires: date(2020, 1, 1),
			Lines: []entitlement.OrderLine{{Part: "BE112031", Qty: 400}}}); err != nil {
			fail(err)
		}
		ack(swaAck{Kind: "units", SO: so, Qty: 400})
		loc, err := f.L.CreateLocation(ctx, f.Dist, entitlement.Location{Customer: c.ID, Name: so, System: "iS3000",
			HWKC: fmt.Sprintf("aa0014SA27%02s%06dAA", round, n)})
		if err != nil {
			fail(err)
		}
		lines, err := f.L.Ship(ctx, f.Admin, entitlement.Order{Partner: f.DistP, PO: "LIC-" + so, SO: so, Lines: sipNetLicenses})
		if err != nil {
			fail(err)
		}
		var picks []entitlement.Pick
		for _, s := range lines {
			picks = append(picks, entitlement.Pick{Line: s.ID, Qty: s.Shipped})
		}
		if _, err := f.L.Attach(ctx, f.Dist, loc.ID, picks); err != nil {
			fail(err)
		}
		act, err := f.B.Activate(ctx, f.Dist, loc.ID, entitlement.Activation{AcceptAgreement: true},
			&swa.AssignRequest{Choices: []swa.Choice{{Months: 12 * (1 + n%3)}}, AuthorizeUnits: true})
		if err != nil {
			fail(err)
		}
		ack(swaAck{Kind: "assign", Loc: loc.ID, ID: act.Assignment.ID, Qty: act.Assignment.Units})
		if n%3 == 1 {
			if _, err := f.B.Cancel(ctx, f.Dist, act.Assignment.ID, "crash test"); err != nil {
				fail(err)
			}
			ack(swaAck{Kind: "cancel", Loc: loc.ID, ID: act.Assignment.ID})
			continue
		}
		p, err := f.B.Push(ctx, f.Dist, act.Assignment.ID, "crash test")
		if err != nil {
			fail(err)
		}
		ack(swaAck{Kind: "push", Loc: loc.ID, ID: p.ID, Agreement: p.Items[0].Agreement})
		if n%3 == 2 {
			r, err := f.B.Renew(ctx, f.Dist, swa.RenewalRequest{Locations: []string{loc.ID}, AuthorizeUnits: true})
			if err != nil {
				fail(err)
			}
			ack(swaAck{Kind: "renew", Loc: loc.ID, ID: r.ID, Agreement: r.Items[0].Agreement, Qty: r.Units})
		}
	}
}

func TestCrash(t *testing.T) {
	if os.Getenv(crashEnv) != "" {
		t.Skip("in the child")
	}
	exe, err := os.Executable()
	must(t, err)
	path := filepath.Join(t.TempDir(), "ledger.db")
	r := rand.New(rand.NewPCG(uint64(os.Getpid()), 2))
	var acks []swaAck
	rounds := 3
	for round := range rounds {
		cmd := exec.Command(exe, "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashEnv+"="+path+"|"+strconv.Itoa(round))
		out, err := cmd.StdoutPipe()
		must(t, err)
		cmd.Stderr = os.Stderr
		must(t, cmd.Start())
		killAfter := 6 + r.IntN(30)
		sc := bufio.NewScanner(out)
		got := 0
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) == 0 {
				continue
			}
			if fields[0] == "ERR" {
				t.Fatalf("child: %s", sc.Text())
			}
			if fields[0] != "ACK" || len(fields) != 2 {
				continue
			}
			var a swaAck
			if err := json.Unmarshal([]byte(fields[1]), &a); err != nil {
				t.Fatalf("child: %q: %v", sc.Text(), err)
			}
			acks = append(acks, a)
			if got++; got == killAfter {
				must(t, cmd.Process.Signal(syscall.SIGKILL))
				break
			}
		}
		_ = cmd.Wait()
		if got < killAfter {
			t.Fatalf("round %d: child stopped after %d acknowledgements", round, got)
		}
		s, err := entitlement.OpenFile(path, nil)
		must(t, err)
		f := newFx(t, fxOpt{store: s, seed: 1, start: date(2014, 12, 15).Add(10 * time.Hour)})
		checkSWAAcks(t, f, round, acks)
		must(t, swa.CheckConservation(ctx, f.L))
		if _, err := f.L.VerifyAudit(ctx); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		must(t, s.Close())
	}
	t.Logf("%d acknowledged operations survived %d kills", len(acks), rounds)
}

// checkSWAAcks checks every acknowledged operation against the reopened ledger: a shipment in the
// units bin with its quantity (less what later assignments drew); an assignment with its units,
// pending or (by an operation not acknowledged) active or cancelled; a push's agreement in force
// on its location (or renewed since); a cancellation cancelled; a renewal's agreement.
func checkSWAAcks(t *testing.T, f *fx, round int, acks []swaAck) {
	t.Helper()
	var drawn int64
	for _, a := range acks {
		switch a.Kind {
		case "units":
			got, err := f.B.LookupOrder(ctx, f.Dist, a.SO)
			if err != nil || len(got) != 1 || got[0].Shipped != a.Qty || got[0].SO != a.SO {
				t.Fatalf("round %d: acknowledged shipment %s of %d units reads %+v, %v", round, a.SO, a.Qty, got, err)
			}
		case "assign":
			st, err := f.B.Status(ctx, f.Dist, a.Loc)
			if err != nil {
				t.Fatalf("round %d: location of acknowledged assignment %d: %v", round, a.ID, err)
			}
			if st.Pending != nil && st.Pending.ID == a.ID && st.Pending.Units != a.Qty {
				t.Fatalf("round %d: assignment %d of %d units reads %+v", round, a.ID, a.Qty, st.Pending)
			}
			if st.Pending == nil && st.State != swa.StateActive && st.State != swa.StateGrace {
				t.Fatalf("round %d: acknowledged assignment %d: location state %v", round, a.ID, st.State)
			}
			drawn += a.Qty
		case "push", "renew":
			st, err := f.B.Status(ctx, f.Dist, a.Loc)
			if err != nil {
				t.Fatalf("round %d: %s %s: %v", round, a.Kind, a.Agreement, err)
			}
			p := st.Products[0]
			if st.State != swa.StateActive || p.Agreement[:strings.LastIndex(p.Agreement, "-")] != a.Agreement[:strings.LastIndex(a.Agreement, "-")] {
				t.Fatalf("round %d: acknowledged %s of %s reads %+v", round, a.Kind, a.Agreement, p)
			}
			if a.Kind == "renew" && p.Agreement != a.Agreement {
				t.Fatalf("round %d: acknowledged renewal %s reads %s", round, a.Agreement, p.Agreement)
			}
		case "cancel":
			st, err := f.B.Status(ctx, f.Dist, a.Loc)
			if err != nil || st.State != swa.StateGrace || st.Pending != nil {
				t.Fatalf("round %d: acknowledged cancellation of %d: %+v %v", round, a.ID, st, err)
			}
		default:
			t.Fatalf("round %d: unknown acknowledgement %+v", round, a)
		}
	}
	if drawn == 0 {
		t.Fatalf("round %d: no assignment acknowledged: every round must reach one", round)
	}
}

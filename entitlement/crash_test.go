package entitlement_test

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
	"sync"
	"syscall"
	"testing"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/storetest"
)

const crashEnv = "LMSKIT_ENTITLEMENT_CRASH_CHILD"

// crashWorkers is how many goroutines of the crash child write at once, so that the store's group
// commit (on by default) acknowledges operations that shared a log sync.
const crashWorkers = 4

// TestCrashChild is the child half of TestCrash: it runs only when re-executed with crashEnv set.
// It streams operations on the durable store (default options: sync on, group commit) from
// crashWorkers goroutines, each on its own location, and prints "ACK <json>" after each one
// returns, so the parent knows what was acknowledged (a JSON [crashAck]).
func TestCrashChild(t *testing.T) {
	spec := os.Getenv(crashEnv)
	if spec == "" {
		t.Skip("child process of TestCrash only")
	}
	path, round, _ := strings.Cut(spec, "|")
	s, err := entitlement.OpenFile(path, nil)
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(2)
	}
	seed, _ := strconv.Atoi(round)
	f := storetest.NewFixture(t, s, uint64(seed)+100) // a fresh random stream per round: SKCs must not repeat
	l := f.L
	var mu sync.Mutex
	w := bufio.NewWriter(os.Stdout)
	fail := func(err error) {
		mu.Lock()
		fmt.Println("ERR", err)
		os.Exit(2)
	}
	ack := func(a crashAck) {
		a.Round = round
		b, err := json.Marshal(a)
		if err != nil {
			fail(err)
		}
		mu.Lock()
		fmt.Fprintf(w, "ACK %s\n", b)
		w.Flush()
		mu.Unlock()
	}
	c, err := l.CreateCustomer(ctx, f.Dist, entitlement.Customer{Name: "crash " + round})
	if err != nil {
		fail(err)
	}
	var wg sync.WaitGroup
	for worker := range crashWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			loc, err := l.CreateLocation(ctx, f.Dist, entitlement.Location{Customer: c.ID, Name: "crash", System: "SV8100", HWKC: fmt.Sprintf("1910000%03s%02d", round, worker)})
			if err != nil {
				fail(err)
			}
			var pending []string // attached since the last activation: the next Activate activates them
			for n := 0; ; n++ {
				po := fmt.Sprintf("PO-%s-%d-%d", round, worker, n)
				lines, err := l.Ship(ctx, f.Admin, entitlement.Order{Partner: f.DistP, PO: po, SO: "SO", Lines: []entitlement.OrderLine{{Part: "BE107585", Qty: 5}}})
				if err != nil {
					fail(err)
				}
				ack(crashAck{Kind: "ship", PO: po, Part: "BE107585", Qty: lines[0].Shipped})
				att, err := l.Attach(ctx, f.Dist, loc.ID, []entitlement.Pick{{Line: lines[0].ID, Qty: 3}})
				if err != nil {
					fail(err)
				}
				pending = append(pending, att[0].SKC)
				ack(crashAck{Kind: "attach", Loc: loc.ID, SKCs: []string{att[0].SKC}, Qty: att[0].Qty})
				if n%3 == 2 {
					file, err := l.Activate(ctx, f.Dist, loc.ID, entitlement.Activation{AcceptAgreement: true})
					if err != nil {
						fail(err)
					}
					ack(crashAck{Kind: "activate", Loc: loc.ID, Serial: file.Serial, SKCs: pending})
					pending = nil
				}
			}
		}()
	}
	wg.Wait()
}

// crashAck is what the crash child acknowledges after an operation returned: the order and its
// quantity for a shipment, the line and its quantity for an attach, the file serial and every
// line activated for an activation.
type crashAck struct {
	Kind, Round, PO, Part, Loc string
	Qty                        int64
	Serial                     uint64
	SKCs                       []string
}

// TestCrash kills a child process that streams ledger operations from several goroutines on the
// durable store (default options, so with group commit) with SIGKILL at random points, then
// reopens the file and checks that every acknowledged operation is there, the audit chain
// verifies and conservation holds. Five rounds on one file, killed at points drawn from a seed of
// its own for every run. (A kill keeps what the process wrote but did not sync: for a lost power
// supply, see TestFileStore_PowerLoss.)
func TestCrash(t *testing.T) {
	if os.Getenv(crashEnv) != "" {
		t.Skip("in the child")
	}
	exe, err := os.Executable()
	ok(t, err)
	path := filepath.Join(t.TempDir(), "ledger.db")
	// A fresh seed for every run (with -count too), logged so that a failing run can be read.
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 1))
	var acks []crashAck
	rounds := 5
	for round := range rounds {
		cmd := exec.Command(exe, "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashEnv+"="+path+"|"+strconv.Itoa(round))
		out, err := cmd.StdoutPipe()
		ok(t, err)
		cmd.Stderr = os.Stderr
		ok(t, cmd.Start())
		// Every worker reaches its first activation within its 7th acknowledgement, so some
		// activation is acknowledged within the first 7 × crashWorkers.
		killAfter := 7*crashWorkers + r.IntN(120)
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
				continue // test framework chatter
			}
			var a crashAck
			if err := json.Unmarshal([]byte(fields[1]), &a); err != nil {
				t.Fatalf("child: %q: %v", sc.Text(), err)
			}
			acks = append(acks, a)
			got++
			if got == killAfter {
				ok(t, cmd.Process.Signal(syscall.SIGKILL))
				break
			}
		}
		_ = cmd.Wait()
		if got < killAfter {
			t.Fatalf("round %d: child stopped after %d acknowledgements", round, got)
		}
		s, err := entitlement.OpenFile(path, nil)
		ok(t, err)
		f := storetest.NewFixture(t, s, 1)
		checkCrashAcks(t, f.L, f.Admin, round, acks)
		if err := entitlement.CheckConservation(ctx, s); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if _, err := f.L.VerifyAudit(ctx); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		ok(t, s.Close())
	}
	t.Logf("%d acknowledged operations survived %d kills", len(acks), rounds)
}

// checkCrashAcks checks every acknowledged operation against the reopened ledger: a shipment's
// order with its quantity; an attached line on its location with its quantity, still attached or
// activated (by an activation that may not have been acknowledged), and activated if an
// acknowledged activation named it; an activation's file at least at the acknowledged serial.
func checkCrashAcks(t *testing.T, l *entitlement.Ledger, admin entitlement.Actor, round int, acks []crashAck) {
	t.Helper()
	activations := 0
	for _, a := range acks {
		switch a.Kind {
		case "ship":
			d, err := l.LookupOrder(ctx, admin, a.PO)
			if err != nil {
				t.Fatalf("round %d: acknowledged shipment %s lost: %v", round, a.PO, err)
			}
			if len(d.Shipped) != 1 || d.Shipped[0].Part != a.Part || d.Shipped[0].Shipped != a.Qty || d.Shipped[0].PO != a.PO {
				t.Fatalf("round %d: acknowledged shipment %s of %d × %s reads %+v", round, a.PO, a.Qty, a.Part, d.Shipped)
			}
		case "attach":
			ln, loc, err := l.LookupSKC(ctx, admin, a.SKCs[0])
			if err != nil {
				t.Fatalf("round %d: acknowledged attach %s lost: %v", round, a.SKCs[0], err)
			}
			if loc.ID != a.Loc || ln.Qty != a.Qty || ln.State != entitlement.StateAttached && ln.State != entitlement.StateActivated {
				t.Fatalf("round %d: acknowledged attach of %d on %s reads %+v on %s", round, a.Qty, a.Loc, ln, loc.ID)
			}
		case "activate":
			activations++
			file, err := l.Download(ctx, admin, a.Loc)
			if err != nil {
				t.Fatalf("round %d: acknowledged activation lost: %v", round, err)
			}
			if file.Serial < a.Serial {
				t.Fatalf("round %d: file serial %d after an acknowledged activation issued serial %d", round, file.Serial, a.Serial)
			}
			for _, skc := range a.SKCs {
				ln, _, err := l.LookupSKC(ctx, admin, skc)
				if err != nil || ln.State != entitlement.StateActivated {
					t.Fatalf("round %d: line %s acknowledged as activated reads %+v, %v", round, skc, ln, err)
				}
			}
		default:
			t.Fatalf("round %d: unknown acknowledgement %+v", round, a)
		}
	}
	if activations <= round {
		t.Fatalf("round %d: only %d activations acknowledged: every round must reach one", round, activations)
	}
}

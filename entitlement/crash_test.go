package entitlement_test

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/storetest"
)

const crashEnv = "LMSKIT_ENTITLEMENT_CRASH_CHILD"

// TestCrashChild is the child half of TestCrash: it runs only when re-executed with crashEnv set.
// It streams operations on the durable store (fsync on) and prints "ACK <kind> <round> <n> <id>"
// after each one returns, so the parent knows what was acknowledged.
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
	w := bufio.NewWriter(os.Stdout)
	c, err := l.CreateCustomer(ctx, f.Dist, entitlement.Customer{Name: "crash " + round})
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(2)
	}
	loc, err := l.CreateLocation(ctx, f.Dist, entitlement.Location{Customer: c.ID, Name: "crash", System: "SV8100", HWKC: "1910000000" + fmt.Sprintf("%02s", round)})
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(2)
	}
	for n := 0; ; n++ {
		po := fmt.Sprintf("PO-%s-%d", round, n)
		lines, err := l.Ship(ctx, f.Admin, entitlement.Order{Partner: f.DistP, PO: po, SO: "SO", Lines: []entitlement.OrderLine{{Part: "BE107585", Qty: 5}}})
		if err != nil {
			fmt.Println("ERR", err)
			os.Exit(2)
		}
		fmt.Fprintf(w, "ACK ship %s %d %s\n", round, n, po)
		w.Flush()
		att, err := l.Attach(ctx, f.Dist, loc.ID, []entitlement.Pick{{Line: lines[0].ID, Qty: 3}})
		if err != nil {
			fmt.Println("ERR", err)
			os.Exit(2)
		}
		fmt.Fprintf(w, "ACK attach %s %d %s\n", round, n, att[0].SKC)
		w.Flush()
		if n%3 == 2 {
			if _, err := l.Activate(ctx, f.Dist, loc.ID, entitlement.Activation{AcceptAgreement: true}); err != nil {
				fmt.Println("ERR", err)
				os.Exit(2)
			}
			fmt.Fprintf(w, "ACK activate %s %d %s\n", round, n, loc.ID)
			w.Flush()
		}
	}
}

// TestCrash kills a child process that streams ledger operations on the durable store with
// SIGKILL at random points, then reopens the file and checks that every acknowledged operation is
// there, the audit chain verifies and conservation holds. Three rounds on one file.
func TestCrash(t *testing.T) {
	if os.Getenv(crashEnv) != "" {
		t.Skip("in the child")
	}
	exe, err := os.Executable()
	ok(t, err)
	path := filepath.Join(t.TempDir(), "ledger.db")
	r := rand.New(rand.NewPCG(uint64(os.Getpid()), 1))
	type ack struct{ kind, round, id string }
	var acks []ack
	rounds := 3
	for round := range rounds {
		cmd := exec.Command(exe, "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashEnv+"="+path+"|"+strconv.Itoa(round))
		out, err := cmd.StdoutPipe()
		ok(t, err)
		cmd.Stderr = os.Stderr
		ok(t, cmd.Start())
		killAfter := 5 + r.IntN(40)
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
			if fields[0] != "ACK" || len(fields) != 5 {
				continue // test framework chatter
			}
			acks = append(acks, ack{fields[1], fields[2], fields[4]})
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
		for _, a := range acks {
			switch a.kind {
			case "ship":
				if _, err := f.L.LookupOrder(ctx, f.Admin, a.id); err != nil {
					t.Fatalf("round %d: acknowledged shipment %s lost: %v", round, a.id, err)
				}
			case "attach":
				if _, _, err := f.L.LookupSKC(ctx, f.Admin, a.id); err != nil {
					t.Fatalf("round %d: acknowledged attach %s lost: %v", round, a.id, err)
				}
			case "activate":
				if _, err := f.L.Download(ctx, f.Admin, a.id); err != nil {
					t.Fatalf("round %d: acknowledged activation lost: %v", round, err)
				}
			}
		}
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
